package push

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"seckill/internal/handoff/export"
)

// SignatureHeader carries a batch's signature: "t=UNIX,v1=HEX", HEX the
// lowercase hex HMAC-SHA256 under the push secret of UNIX "." body. The
// mall recomputes it over the body it received and refuses a batch whose
// signature differs or whose t is far from its clock (a replay).
const SignatureHeader = "X-Seckill-Signature"

// Signature is the SignatureHeader value of body sent at unix seconds.
func Signature(secret []byte, unix int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	t := strconv.AppendInt(nil, unix, 10)
	mac.Write(t)
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + string(t) + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends b as one JSON array. Each record carries its idempotency_key;
// the Idempotency-Key header names the batch (a hash of its record keys,
// so an identical retry carries the same one). Any 2xx means the mall took
// every record; anything else, a transport error or the timeout, that it
// took none (it may have taken some: the keys make a re-delivery harmless).
func (p *Pusher) post(ctx context.Context, b *batch) error {
	body := append(p.body[:0], '[')
	h := sha256.New()
	var key []byte
	for i := range b.wins {
		if i > 0 {
			body = append(body, ',')
		}
		body = export.AppendJSON(body, &b.wins[i])
		key = append(export.AppendIdempotencyKey(key[:0], &b.wins[i]), '\n')
		h.Write(key)
	}
	p.body = append(body, ']')
	return p.send(ctx, p.body, h.Sum(nil), len(b.wins))
}

// send POSTs one signed batch body of n records; keyHash (the SHA-256 of
// the records' idempotency keys) names the batch in Idempotency-Key.
func (p *Pusher) send(ctx context.Context, body, keyHash []byte, n int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", hex.EncodeToString(keyHash[:16]))
	req.Header.Set("User-Agent", "seckill-push")
	req.Header.Set(SignatureHeader, Signature(p.opts.Secret, time.Now().Unix(), body))
	p.counters.Posts.Add(1)
	resp, err := p.client.Do(req)
	if err != nil {
		p.counters.Failures.Add(1)
		return fmt.Errorf("push: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyRead))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		p.counters.Failures.Add(1)
		return fmt.Errorf("%w: %s", ErrStatus, resp.Status)
	}
	p.counters.Delivered.Add(uint64(n))
	return nil
}
