package admin

import (
	"bytes"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"seckill/internal/config"
)

const testToken = "0123456789abcdef0123456789abcdef"

func sha256Sum(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// guarded is a guard in front of a mux whose routes record that they ran.
func guarded(t *testing.T, addr string, hosts []string, now *time.Time) (http.Handler, *[]string) {
	t.Helper()
	var ran []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/stats", func(w http.ResponseWriter, r *http.Request) { ran = append(ran, r.Pattern) })
	mux.HandleFunc("POST /admin/pause", func(w http.ResponseWriter, r *http.Request) { ran = append(ran, r.Pattern) })
	return &guard{
		tokenSum: sha256Sum(testToken), session: newSessionKey([]byte(testToken)),
		hosts: newHostSet(addr, hosts), now: func() time.Time { return *now }, next: mux,
	}, &ran
}

func TestGuard(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h, ran := guarded(t, "127.0.0.1:8081", []string{"admin.internal", "ops.example:443"}, &now)

	// A session cookie, got the way a browser gets it.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://127.0.0.1:8081/?token="+testToken, nil)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("GET /?token=: %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
	setCookie := rec.Header().Get("Set-Cookie")
	for _, want := range []string{SessionCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(setCookie, want) {
			t.Fatalf("Set-Cookie %q lacks %q", setCookie, want)
		}
	}
	if strings.Contains(setCookie, testToken) {
		t.Fatalf("the cookie carries the token itself: %q", setCookie)
	}
	cookie := rec.Result().Cookies()[0]
	otherKey := newSessionKey([]byte("another token, another session key"))

	bearer := "Bearer " + testToken
	tests := []struct {
		name, method, host, auth, origin, fetchSite string
		cookie                                      *http.Cookie
		want                                        int
	}{
		{"bearer GET", "GET", "127.0.0.1:8081", bearer, "", "", nil, 200},
		{"bearer POST", "POST", "127.0.0.1:8081", bearer, "", "", nil, 200},
		{"localhost with the port", "GET", "localhost:8081", bearer, "", "", nil, 200},
		{"IPv6 loopback with the port", "POST", "[::1]:8081", bearer, "", "", nil, 200},
		{"configured name, any port", "GET", "admin.internal:9000", bearer, "", "", nil, 200},
		{"configured name:port", "GET", "ops.example:443", bearer, "", "", nil, 200},
		{"same-origin browser POST", "POST", "127.0.0.1:8081", bearer, "http://127.0.0.1:8081", "same-origin", nil, 200},
		{"cookie GET", "GET", "127.0.0.1:8081", "", "", "same-origin", cookie, 200},

		{"no credentials GET", "GET", "127.0.0.1:8081", "", "", "", nil, 401},
		{"no credentials POST", "POST", "127.0.0.1:8081", "", "", "", nil, 401},
		{"wrong token", "GET", "127.0.0.1:8081", "Bearer " + strings.Repeat("0", len(testToken)), "", "", nil, 401},
		{"token prefix", "GET", "127.0.0.1:8081", "Bearer " + testToken[:20], "", "", nil, 401},
		{"basic auth", "GET", "127.0.0.1:8081", "Basic " + testToken, "", "", nil, 401},
		{"cookie POST", "POST", "127.0.0.1:8081", "", "", "", cookie, 401},
		{"wrong token with a cookie", "GET", "127.0.0.1:8081", "Bearer nope", "", "", cookie, 401},
		{"cookie of another token", "GET", "127.0.0.1:8081", "", "", "", &http.Cookie{Name: SessionCookie, Value: otherKey.value(now.Add(time.Hour).Unix())}, 401},
		{"expired cookie", "GET", "127.0.0.1:8081", "", "", "", &http.Cookie{Name: SessionCookie, Value: newSessionKey([]byte(testToken)).value(now.Unix())}, 401},
		{"forged expiry", "GET", "127.0.0.1:8081", "", "", "", &http.Cookie{Name: SessionCookie, Value: "9999999999" + cookie.Value[strings.Index(cookie.Value, "."):]}, 401},
		{"token as cookie", "GET", "127.0.0.1:8081", "", "", "", &http.Cookie{Name: SessionCookie, Value: testToken}, 401},

		{"rebinding name", "GET", "evil.example:8081", bearer, "", "", nil, 403},
		{"loopback, other port", "GET", "127.0.0.1:9999", bearer, "", "", nil, 403},
		{"configured name:port, other port", "GET", "ops.example:80", bearer, "", "", nil, 403},
		{"foreign Origin", "POST", "127.0.0.1:8081", bearer, "https://evil.example", "", nil, 403},
		{"foreign Origin on a GET", "GET", "127.0.0.1:8081", "", "http://evil.example", "", cookie, 403},
		{"null Origin", "POST", "127.0.0.1:8081", bearer, "null", "", nil, 403},
		{"cross-site fetch", "GET", "127.0.0.1:8081", "", "", "cross-site", cookie, 403},
		{"same-site fetch", "GET", "127.0.0.1:8081", "", "", "same-site", cookie, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*ran = nil
			path := "/admin/stats"
			if tt.method == "POST" {
				path = "/admin/pause"
			}
			req := httptest.NewRequest(tt.method, "http://"+tt.host+path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.fetchSite != "" {
				req.Header.Set("Sec-Fetch-Site", tt.fetchSite)
			}
			if tt.cookie != nil {
				req.AddCookie(tt.cookie)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d (%s); want %d", rec.Code, rec.Body, tt.want)
			}
			if ranHandler := len(*ran) > 0; ranHandler != (tt.want == 200) {
				t.Fatalf("handler ran: %v with status %d", ranHandler, rec.Code)
			}
			if tt.want != 200 && !strings.Contains(rec.Body.String(), `"error":`) {
				t.Fatalf("refusal %q is not a JSON error", rec.Body)
			}
			if tt.want == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:8081/?token=wrong", nil))
	if rec.Code != 401 || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("GET /?token=wrong: %d, Set-Cookie %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
}

func TestHostSetOnEveryInterface(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:8081", "[::]:8081", ":8081"} {
		s := newHostSet(listen, nil)
		for host, want := range map[string]bool{
			"10.1.2.3:8081": true, "[fd00::1]:8081": true, "localhost:8081": true,
			"10.1.2.3:8082": false, "admin.example:8081": false, "10.1.2.3": false,
		} {
			if got := s.allows(host); got != want {
				t.Errorf("listening on %s, Host %q allowed: %v; want %v", listen, host, got, want)
			}
		}
	}
	if newHostSet("10.0.0.5:8081", nil).allows("10.0.0.6:8081") {
		t.Error("a listener on one address accepts another address as Host")
	}
}

func TestGeneratedToken(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{Server: config.Server{DataDir: filepath.Join(dir, "data")}}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	first, err := Token(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data", config.AdminTokenName)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).Match(first) {
		t.Fatalf("generated token %q is not 64 hex digits", first)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v; want 0600", err, st.Mode())
	}
	if b, _ := os.ReadFile(path); string(b) != string(first)+"\n" {
		t.Fatalf("file holds %q; want the token %q", b, first)
	}
	if !strings.Contains(logs.String(), path) {
		t.Fatalf("the log does not name the token file: %s", logs.String())
	}
	second, err := Token(cfg, log)
	if err != nil || bytes.Equal(first, second) {
		t.Fatalf("a second start reuses the token (%v)", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}

	cfg.Admin.TokenBytes = []byte(testToken)
	os.Remove(path)
	if got, err := Token(cfg, log); err != nil || string(got) != testToken {
		t.Fatalf("configured token: %q %v", got, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a configured token is written to data_dir")
	}
}

func TestActionLog(t *testing.T) {
	var logs bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/pause", func(w http.ResponseWriter, r *http.Request) {
		errorf(w, http.StatusNotFound, "no activity %q", r.URL.Query().Get("activity"))
	})
	mux.HandleFunc("GET /admin/stats", func(w http.ResponseWriter, r *http.Request) {})
	h := actionLog{log: slog.New(slog.NewTextHandler(&logs, nil)), next: mux}

	req := httptest.NewRequest("POST", "/admin/pause?activity=nope&token=secret", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	h.ServeHTTP(httptest.NewRecorder(), req)
	line := logs.String()
	for _, want := range []string{`level=INFO`, `action="POST /admin/pause"`, `activity=nope`, `token=REDACTED`, `remote=192.0.2.7:5555`, `status=404`, `result="no activity \"nope\""`} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %s", line, want)
		}
	}
	if strings.Contains(line, "secret") {
		t.Errorf("log shows a token: %q", line)
	}
	logs.Reset()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/admin/stats", nil))
	if logs.Len() != 0 {
		t.Errorf("a successful read is logged above Debug: %q", logs.String())
	}
}
