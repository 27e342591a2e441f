package mallsig

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"seckill/internal/handoff/export"
)

// ErrBadSignature marks a batch whose signature does not verify.
var ErrBadSignature = errors.New("mallsig: bad signature")

// ReadBatch reads a pushed batch as a mall does: the whole body (a server
// notices a gone client only once it has read it), the signature in
// X-Seckill-Signature checked under secret at now, then the records. On
// failure it returns the status to answer: 401 for a signature that does
// not verify (the error wraps ErrBadSignature), 400 otherwise.
func ReadBatch(r *http.Request, secret []byte, now time.Time) ([]export.Record, int, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	if err := Verify(secret, r.Header.Get("X-Seckill-Signature"), body, now); err != nil {
		return nil, http.StatusUnauthorized, errors.Join(ErrBadSignature, err)
	}
	var recs []export.Record
	if err := json.Unmarshal(body, &recs); err != nil {
		return nil, http.StatusBadRequest, err
	}
	return recs, 0, nil
}
