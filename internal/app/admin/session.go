package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SessionCookie is the name of the dashboard's session cookie.
const SessionCookie = "seckill_admin_session"

// sessionTTL is how long a dashboard session lasts: one working day, so an
// operator opens the page with the token once per shift, and a cookie left
// on a shared machine dies by the next.
const sessionTTL = 12 * time.Hour

// sessionKey signs session cookies. It is derived from the admin token, so
// a cookie is not the token (a leaked cookie cannot change anything, and
// expires), and a new token ends every session.
type sessionKey []byte

func newSessionKey(token []byte) sessionKey {
	mac := hmac.New(sha256.New, token)
	mac.Write([]byte("seckill admin session key v1"))
	return mac.Sum(nil)
}

// value is the cookie's value for a session expiring at expiry:
// "EXPIRY.HMAC(key, EXPIRY)" in Unix seconds and hex.
func (k sessionKey) value(expiry int64) string {
	e := strconv.FormatInt(expiry, 10)
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(e))
	return e + "." + hex.EncodeToString(mac.Sum(nil))
}

// cookie is a new session's cookie: HttpOnly (no script reads it) and
// SameSite=Strict (no other site's page makes the browser send it).
func (k sessionKey) cookie(now time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookie,
		Value:    k.value(now.Add(sessionTTL).Unix()),
		Path:     "/",
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	}
}

// valid reports whether r carries an unexpired session cookie signed with k.
func (k sessionKey) valid(r *http.Request, now time.Time) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	e, _, ok := strings.Cut(c.Value, ".")
	if !ok {
		return false
	}
	expiry, err := strconv.ParseInt(e, 10, 64)
	if err != nil || now.Unix() >= expiry {
		return false
	}
	return hmac.Equal([]byte(c.Value), []byte(k.value(expiry)))
}
