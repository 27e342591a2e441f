package token

import (
	"bytes"
	"math"
	"strconv"
	"testing"
	"time"
)

// FuzzVerify checks that Verify never panics on any input and that every
// token it accepts is canonical: re-minting its uid and expiry reproduces it
// byte for byte, so one (uid, expiry) has exactly one valid spelling. It
// also holds Verify to the maximum lifetime at every fuzzed time: a token
// expiring exactly maxTTL from now passes, one a second later does not, and
// no accepted token outlives it.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(Mint(testSecret, 42, testNow+60)), testNow)
	f.Add([]byte(Mint(testSecret, 0, testNow)), testNow)
	f.Add([]byte("42.1610434800.4cb7c050ac38b2d93765dc93cba5eb73"), testNow)
	f.Add([]byte(""), int64(0))
	f.Add([]byte("..."), int64(-1))
	const maxTTL = 24 * time.Hour
	maxTTLSec := int64(maxTTL / time.Second)
	v := NewVerifier(testSecret, maxTTL)
	f.Fuzz(func(t *testing.T, tok []byte, nowUnix int64) {
		if nowUnix >= 0 && nowUnix <= math.MaxInt64-maxTTLSec-1 {
			uid := uint64(len(tok))
			if _, err := v.Verify([]byte(Mint(testSecret, uid, nowUnix+maxTTLSec)), nowUnix); err != nil {
				t.Fatalf("token expiring maxTTL after %d refused: %v", nowUnix, err)
			}
			if _, err := v.Verify([]byte(Mint(testSecret, uid, nowUnix+maxTTLSec+1)), nowUnix); err == nil {
				t.Fatalf("token expiring maxTTL+1s after %d accepted", nowUnix)
			}
		}
		uid, err := v.Verify(tok, nowUnix)
		if err != nil {
			if uid != 0 {
				t.Fatalf("Verify(%q) failed with %v but returned uid %d", tok, err, uid)
			}
			return
		}
		parts := bytes.Split(tok, []byte("."))
		if len(parts) != 3 {
			t.Fatalf("Verify accepted %q, which has %d parts", tok, len(parts))
		}
		expiry, perr := strconv.ParseInt(string(parts[1]), 10, 64)
		if perr != nil {
			t.Fatalf("Verify accepted %q with expiry %q: %v", tok, parts[1], perr)
		}
		if remint := Mint(testSecret, uid, expiry); remint != string(tok) {
			t.Fatalf("Verify accepted %q but re-minting gives %q", tok, remint)
		}
		if expiry < nowUnix {
			t.Fatalf("Verify accepted %q, expired at %d, at %d", tok, expiry, nowUnix)
		}
		if nowUnix <= math.MaxInt64-maxTTLSec && expiry > nowUnix+maxTTLSec {
			t.Fatalf("Verify accepted %q, expiring %ds after %d, past the maximum lifetime", tok, expiry-nowUnix, nowUnix)
		}
	})
}
