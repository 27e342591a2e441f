package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"math"
	"strconv"
	"time"
)

// The errors Verify returns, unwrapped, so that a failed verification costs
// no allocation. They are checked in this order: a token must parse, then be
// authentic, and only then is its expiry judged, so ErrExpired and ErrTooLong
// imply the token was genuinely minted with the secret.
var (
	ErrMalformed = errors.New("token: malformed")
	ErrForged    = errors.New("token: forged")
	ErrExpired   = errors.New("token: expired")
	// ErrTooLong refuses a token whose expiry is further ahead than the
	// verifier's maximum lifetime; it is separate from ErrExpired so that
	// logs tell a mis-configured minter from a buyer who waited too long.
	ErrTooLong = errors.New("token: expiry beyond the maximum lifetime")
)

const (
	// sigBytes is how much of the HMAC-SHA256 the token carries: 128 bits
	// are far beyond forging by guessing and keep tokens short.
	sigBytes = 16
	sigLen   = 2 * sigBytes
	// maxTokenLen is the longest well-formed token: a 20-digit uid, a
	// 19-digit expiry, two dots and the signature.
	maxTokenLen = 20 + 1 + 19 + 1 + sigLen
)

// Mint returns the token for uid that expires at expiryUnix (unix seconds).
// A negative expiry yields a token that Verify refuses as malformed.
func Mint(secret []byte, uid uint64, expiryUnix int64) string {
	buf := make([]byte, 0, maxTokenLen+1)
	buf = strconv.AppendUint(buf, uid, 10)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, expiryUnix, 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write(buf)
	sum := mac.Sum(nil)
	buf = append(buf, '.')
	buf = hex.AppendEncode(buf, sum[:sigBytes])
	return string(buf)
}

// Verifier checks tokens against one secret. It keeps its HMAC state and
// buffers between calls so that Verify does not allocate; that is also why it
// is not safe for concurrent use.
type Verifier struct {
	mac       hash.Hash
	maxTTLSec int64
	sum       [sha256.Size]byte
	sig       [sigBytes]byte
}

// NewVerifier returns a Verifier for tokens minted with secret, refusing those
// that expire more than maxTTL after the time of verification. A maxTTL of
// zero or less sets no such bound.
func NewVerifier(secret []byte, maxTTL time.Duration) *Verifier {
	maxTTLSec := int64(math.MaxInt64)
	if maxTTL > 0 {
		maxTTLSec = int64(maxTTL / time.Second)
	}
	return &Verifier{mac: hmac.New(sha256.New, secret), maxTTLSec: maxTTLSec}
}

// Verify returns the uid of an authentic, unexpired token. It returns
// ErrMalformed unless tok is exactly UID.EXPIRY.SIG in canonical form (no
// signs, no leading zeros, no overflow, a 32-character lowercase hex SIG),
// ErrForged if the signature does not match, ErrExpired if EXPIRY is before
// nowUnix, and ErrTooLong if EXPIRY is more than the maximum lifetime after
// nowUnix. A token is valid through its EXPIRY second. The signature is
// compared in constant time.
func (v *Verifier) Verify(tok []byte, nowUnix int64) (uid uint64, err error) {
	if len(tok) > maxTokenLen || len(tok) < sigLen+4 {
		return 0, ErrMalformed
	}
	signedLen := len(tok) - sigLen - 1
	if tok[signedLen] != '.' || !decodeLowerHex(v.sig[:], tok[signedLen+1:]) {
		return 0, ErrMalformed
	}
	signed := tok[:signedLen]
	dot := indexDot(signed)
	if dot < 0 {
		return 0, ErrMalformed
	}
	uid, ok := parseCanonicalUint(signed[:dot], math.MaxUint64)
	if !ok {
		return 0, ErrMalformed
	}
	expiry, ok := parseCanonicalUint(signed[dot+1:], math.MaxInt64)
	if !ok {
		return 0, ErrMalformed
	}

	v.mac.Reset()
	v.mac.Write(signed)
	if !hmac.Equal(v.mac.Sum(v.sum[:0])[:sigBytes], v.sig[:]) {
		return 0, ErrForged
	}

	expiryUnix := int64(expiry)
	switch {
	case expiryUnix < nowUnix:
		return 0, ErrExpired
	case nowUnix <= math.MaxInt64-v.maxTTLSec && expiryUnix > nowUnix+v.maxTTLSec:
		return 0, ErrTooLong
	}
	return uid, nil
}

// indexDot is bytes.IndexByte for the short signed part, inlined by hand so
// that the hot path stays in this function.
func indexDot(b []byte) int {
	for i, c := range b {
		if c == '.' {
			return i
		}
	}
	return -1
}

// parseCanonicalUint parses a non-empty run of decimal digits no greater than
// limit, refusing signs, leading zeros and overflow, so that every accepted
// token re-mints to exactly itself.
func parseCanonicalUint(digits []byte, limit uint64) (uint64, bool) {
	if len(digits) == 0 || len(digits) > 20 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	var n uint64
	for _, c := range digits {
		d := uint64(c - '0')
		if d > 9 || n > (limit-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// decodeLowerHex decodes exactly len(dst)*2 lowercase hex characters; the
// uppercase forms are refused so that each signature has one spelling.
func decodeLowerHex(dst, src []byte) bool {
	if len(src) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := lowerHexValue(src[2*i])
		lo, ok2 := lowerHexValue(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func lowerHexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
