package admin

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// actionLog logs every admin request once it is answered, with what an
// auditor of the operators needs: the action (the route's pattern), its
// parameters (the token redacted), the remote address and the result. A
// state change is logged at Info, a refused request (401, 403) at Warn, a
// failure at Error, and a successful read — metrics scrapes, dashboard
// polls — at Debug, so that the log shows actions rather than traffic.
type actionLog struct {
	log  *slog.Logger
	next http.Handler
}

// maxLoggedError bounds how much of an error answer is kept for the log.
const maxLoggedError = 1024

func (a actionLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	a.next.ServeHTTP(rec, r)

	readOnly := r.Method == http.MethodGet || r.Method == http.MethodHead
	level := slog.LevelInfo
	switch {
	case rec.status >= 500:
		level = slog.LevelError
	case rec.status == http.StatusUnauthorized || rec.status == http.StatusForbidden:
		level = slog.LevelWarn
	case readOnly && rec.status < 400:
		level = slog.LevelDebug
	}
	ctx := r.Context()
	if !a.log.Enabled(ctx, level) {
		return
	}
	action := r.Pattern
	if action == "" { // refused before routing, or no route
		action = r.Method + " " + r.URL.Path
	}
	q := r.URL.Query()
	if q.Has("token") {
		q.Set("token", "REDACTED")
	}
	result := "ok"
	if rec.status >= 400 {
		result = errorText(rec.errBody)
	}
	a.log.Log(ctx, level, "admin action",
		"action", action, "params", q.Encode(), "body_bytes", r.ContentLength,
		"remote", r.RemoteAddr, "status", rec.status, "result", result, "took", time.Since(start))
}

// errorText is the "error" of a JSON error answer, or the answer itself.
func errorText(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return string(body)
}

// statusRecorder keeps the status of an answer and the start of an error
// answer's body.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	errBody []byte
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status >= 400 && len(s.errBody) < maxLoggedError {
		s.errBody = append(s.errBody, b[:min(len(b), maxLoggedError-len(s.errBody))]...)
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes of a
// streamed profile or page).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes flushes through for handlers that test for http.Flusher.
func (s *statusRecorder) Flush() { http.NewResponseController(s.ResponseWriter).Flush() }

// denyf answers a refused request with a JSON error.
func denyf(w http.ResponseWriter, status int, format string, args ...any) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="seckill admin"`)
	}
	errorf(w, status, format, args...)
}
