// Package token mints and verifies the HMAC tokens that prove which uid a
// buy request is for, when auth.mode = "hmac".
//
// The format is part of the public contract:
//
//	TOKEN = UID "." EXPIRY "." SIG
//
// UID is a decimal uint64, EXPIRY is unix seconds in decimal, both without
// sign or leading zeros, and SIG is the lowercase hex of the first 16 bytes
// of HMAC-SHA256(secret, UID "." EXPIRY): 32 characters. The mall's login
// service mints tokens with the shared secret; seckill only verifies them.
//
// Usage:
//
//	tok := token.Mint(secret, 42, time.Now().Add(time.Hour).Unix())
//
//	v := token.NewVerifier(secret, 24*time.Hour) // one per goroutine
//	uid, err := v.Verify([]byte(tok), time.Now().Unix())
//	switch {
//	case err == nil: // uid is authentic
//	case errors.Is(err, token.ErrExpired), errors.Is(err, token.ErrTooLong):
//	default: // ErrMalformed or ErrForged
//	}
//
// Verify allocates nothing, on success or failure, so the front end can call
// it for every request. A Verifier is not safe for concurrent use: keep one
// per event loop or goroutine, or in a sync.Pool.
package token
