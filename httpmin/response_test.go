package httpmin

import (
	"bytes"
	"strconv"
	"testing"
)

func TestAppendResponseExactBytes(t *testing.T) {
	got := AppendResponse([]byte("prefix:"), 405, []byte(AllowGET), []byte(`{"error":"method_not_allowed"}`))
	want := "prefix:" +
		"HTTP/1.1 405 Method Not Allowed\r\n" +
		"Content-Type: application/json\r\n" +
		"Content-Length: 30\r\n" +
		"Connection: close\r\n" +
		"Allow: GET\r\n" +
		"\r\n" +
		`{"error":"method_not_allowed"}`
	if string(got) != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestAppendResponseContentLength(t *testing.T) {
	for _, body := range []string{"", "{}", `{"ok":true}`, string(bytes.Repeat([]byte("x"), 12345))} {
		for _, status := range []int{200, 400, 401, 403, 404, 405, 409, 410, 429, 431, 500, 503, 299} {
			resp := AppendResponse(nil, status, nil, []byte(body))
			head, gotBody, found := bytes.Cut(resp, []byte("\r\n\r\n"))
			if !found {
				t.Fatalf("no blank line in %q", resp)
			}
			if string(gotBody) != body {
				t.Fatalf("body = %q, want %q", gotBody, body)
			}
			wantLine := "Content-Length: " + strconv.Itoa(len(body))
			if !bytes.Contains(head, []byte("\r\n"+wantLine+"\r\n")) {
				t.Errorf("head %q lacks %q", head, wantLine)
			}
			statusLine := "HTTP/1.1 " + strconv.Itoa(status) + " " + StatusText(status) + "\r\n"
			if !bytes.HasPrefix(resp, []byte(statusLine)) {
				t.Errorf("response %q does not start with %q", resp[:40], statusLine)
			}
		}
	}
}

func TestStatusText(t *testing.T) {
	want := map[int]string{
		200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
		404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 410: "Gone",
		429: "Too Many Requests", 431: "Request Header Fields Too Large",
		500: "Internal Server Error", 503: "Service Unavailable", 418: "",
	}
	for status, text := range want {
		if got := StatusText(status); got != text {
			t.Errorf("StatusText(%d) = %q, want %q", status, got, text)
		}
	}
}

func TestAppendResponseDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 512)
	extra := []byte(AllowGET)
	body := []byte(`{"status":"ok","order_id":1234567890}`)
	allocs := testing.AllocsPerRun(1000, func() {
		dst = AppendResponse(dst[:0], 200, extra, body)
	})
	if allocs != 0 {
		t.Fatalf("AppendResponse allocated %v times per run", allocs)
	}
}

func BenchmarkAppendResponse(b *testing.B) {
	dst := make([]byte, 0, 512)
	body := []byte(`{"status":"ok","order_id":1234567890,"sku":"4205100011"}`)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendResponse(dst[:0], 200, nil, body)
	}
}
