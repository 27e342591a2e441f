package nethttpfront

import (
	"bytes"
	"net/http"
	"strconv"
)

var (
	crlf    = []byte("\r\n")
	headEnd = []byte("\r\n\r\n")
)

// writeResponse writes a response the gate encoded for the wire through
// net/http's ResponseWriter, the way a net/http handler would: headers set
// one by one, then the status, then the body. The gate's encoding is fixed
// (httpmin.AppendResponse), so it splits without guessing.
func writeResponse(w http.ResponseWriter, resp []byte) {
	end := bytes.Index(resp, headEnd)
	if len(resp) < len("HTTP/1.1 200") || end < 0 {
		http.Error(w, `{"result":"unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	status, err := strconv.Atoi(string(resp[9:12]))
	if err != nil {
		http.Error(w, `{"result":"unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	lines := resp[bytes.Index(resp, crlf)+2 : end+2]
	for len(lines) > 0 {
		i := bytes.Index(lines, crlf)
		line := lines[:i]
		lines = lines[i+2:]
		name, value, ok := bytes.Cut(line, []byte(": "))
		if ok {
			h.Set(string(name), string(value))
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp[end+4:])
}
