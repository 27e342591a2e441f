package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/internal/live/token"
)

// maxTokenTTL refuses tokens that live longer than seckill's default
// (auth.token_max_ttl), so both sides do the same check.
const maxTokenTTL = 24 * time.Hour

// server is the peer's HTTP front end: one goroutine per connection
// (net/http), a token check, and one Lua call per attempt.
type server struct {
	rdb    *redis.Client
	secret []byte
	skus   map[string]bool
	// verifiers pools token verifiers, which are not safe for concurrent use.
	verifiers sync.Pool
}

func newServer(rdb *redis.Client, secret []byte, skus []string) *server {
	s := &server{rdb: rdb, secret: secret, skus: map[string]bool{}}
	for _, sku := range skus {
		s.skus[sku] = true
	}
	s.verifiers.New = func() any { return token.NewVerifier(secret, maxTokenTTL) }
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		answer(w, http.StatusOK, `{"status":"ok"}`)
	case "/buy", "/result":
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			answer(w, http.StatusMethodNotAllowed, `{"result":"method_not_allowed"}`)
			return
		}
		s.attempt(w, r, r.URL.Path == "/buy")
	default:
		answer(w, http.StatusNotFound, `{"result":"not_found"}`)
	}
}

// attempt answers /buy (buy true) or /result with seckill's result names
// and status codes, so the same load generator and checks drive both.
func (s *server) attempt(w http.ResponseWriter, r *http.Request, buy bool) {
	q := r.URL.Query()
	tok := q.Get("token")
	if c, err := r.Cookie("sk"); tok == "" && err == nil {
		tok = c.Value
	}
	v := s.verifiers.Get().(*token.Verifier)
	uid, err := v.Verify([]byte(tok), time.Now().Unix())
	s.verifiers.Put(v)
	if err != nil {
		answer(w, http.StatusUnauthorized, `{"result":"unauthorized"}`)
		return
	}
	sku := q.Get("sku")
	if !s.skus[sku] {
		answer(w, http.StatusNotFound, `{"result":"unknown_sku"}`)
		return
	}
	var code, seq int64
	if buy {
		code, seq, err = decide(r.Context(), s.rdb, sku, uid)
	} else if seq, err = lookup(r.Context(), s.rdb, sku, uid); err == nil && seq > 0 {
		code = codeWon
	}
	switch {
	case err != nil:
		answer(w, http.StatusServiceUnavailable, `{"result":"unavailable"}`)
	case !buy && code != codeWon:
		answer(w, http.StatusNotFound, `{"result":"none"}`)
	case code == codeWon || code == codeAlreadyWon:
		result := "won"
		if code == codeAlreadyWon {
			result = "already_won"
		}
		answer(w, http.StatusOK, `{"result":"`+result+`","sku":"`+sku+`","uid":`+strconv.FormatUint(uid, 10)+
			`,"seq":`+strconv.FormatInt(seq, 10)+`,"ticket":"`+s.ticket(sku, uid, seq)+`"}`)
	case code == codeNotReserved:
		answer(w, http.StatusForbidden, `{"result":"not_reserved"}`)
	default:
		answer(w, http.StatusGone, `{"result":"sold_out"}`)
	}
}

// ticket is the win's unforgeable receipt: an HMAC of sku, uid and seq, so
// /result gives the same ticket again without storing it.
func (s *server) ticket(sku string, uid uint64, seq int64) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("ticket\x00" + sku + "\x00" + strconv.FormatUint(uid, 10) + "\x00" + strconv.FormatInt(seq, 10)))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func answer(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
