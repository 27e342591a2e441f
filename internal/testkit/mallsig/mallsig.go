// Package mallsig checks the signature a mall receives with each pushed
// batch (header X-Seckill-Signature: t=UNIX,v1=HEX, HEX the lowercase hex
// HMAC-SHA256 under the push secret of UNIX "." body), written out from the
// SPEC rather than calling the pusher's own code, so the test malls of
// package push and of cmd/seckill check the pusher against the contract.
package mallsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxSkew is how far t may be from the receiver's clock: a batch signed
// longer ago is a replay, or the sender's clock is off.
const MaxSkew = 5 * time.Minute

// Verify reports whether header signs body under secret at a time within
// MaxSkew of now.
func Verify(secret []byte, header string, body []byte, now time.Time) error {
	ts, sig, ok := strings.Cut(header, ",")
	if !ok || !strings.HasPrefix(ts, "t=") || !strings.HasPrefix(sig, "v1=") {
		return fmt.Errorf("mallsig: malformed signature %q", header)
	}
	unix, err := strconv.ParseInt(ts[2:], 10, 64)
	if err != nil || now.Sub(time.Unix(unix, 0)).Abs() > MaxSkew {
		return fmt.Errorf("mallsig: signature time %q is not within %v of now", ts, MaxSkew)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts[2:]))
	mac.Write([]byte("."))
	mac.Write(body)
	if want := hex.EncodeToString(mac.Sum(nil)); sig[3:] != want {
		return fmt.Errorf("mallsig: signature %s, want %s", sig[3:], want)
	}
	return nil
}
