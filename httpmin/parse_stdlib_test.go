package httpmin

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// checkAgainstStdlib cross-checks a head Parse called Complete with Go's own
// parsers: wherever net/http reads the same head, every query parameter is
// the one net/url decodes, and every cookie the one net/http finds. The
// standard library is the independent reference; the comparison is skipped
// only where it refuses the head or drops something, and says why.
func checkAgainstStdlib(t *testing.T, data []byte, r *Request) {
	t.Helper()
	std, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data[:r.HeadLen()])))
	if err != nil {
		return // net/http is stricter about some heads; nothing to compare
	}
	values, err := url.ParseQuery(std.URL.RawQuery)
	switch {
	case err != nil && !strings.Contains(std.URL.RawQuery, ";"):
		// net/url refuses only bad escapes and ';' separators; a bad
		// escape must have made Parse say BadRequest.
		t.Fatalf("Parse accepted query %q, which net/url refuses: %v", std.URL.RawQuery, err)
	case err == nil:
		for name, vs := range values {
			got, ok := r.Query(name)
			if !ok || string(got) != vs[0] {
				t.Fatalf("query %q of %q: Query = %q (found %v), net/url = %q", name, std.URL.RawQuery, got, ok, vs[0])
			}
		}
	}

	// Cookies: compare only when net/http kept every non-empty pair, so
	// that both saw the same list. A pair without '=' is where the two
	// differ by design: net/http reads it as a name with an empty value,
	// Cookie skips it (a stray pair must not hide the session cookie).
	pairs := 0
	for _, line := range std.Header.Values("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			switch {
			case strings.TrimSpace(part) == "":
			case !strings.Contains(part, "="):
				return
			default:
				pairs++
			}
		}
	}
	cookies := std.Cookies()
	if len(cookies) != pairs {
		return
	}
	for _, c := range cookies {
		first, _ := std.Cookie(c.Name) // the first of that name, as Cookie returns
		// net/http keeps blanks around a value; Cookie trims them (no
		// token or session id holds one).
		want := strings.Trim(first.Value, " \t")
		got, ok := r.Cookie(c.Name)
		if !ok || string(got) != want {
			t.Fatalf("cookie %q in %q: Cookie = %q (found %v), net/http = %q", c.Name, std.Header.Values("Cookie"), got, ok, want)
		}
	}
}

// TestParseAgreesWithStdlib runs the cross-check over the table's heads and
// a few written for it, so that the plain test run exercises it too.
func TestParseAgreesWithStdlib(t *testing.T) {
	heads := []string{
		"GET /buy?sku=a%2Fb&token=1.2.ab+cd&x HTTP/1.1\r\nHost: h\r\nCookie: a=1; sk=\"tok\"\r\nCookie: sk=second\r\n\r\n",
		"GET /buy?sku=s1&sku=s2&empty=&=v&&k%3D=%26 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /r?q=%e2%82%ac+%41 HTTP/1.0\r\nCookie: z=; sk = 1.2.3 ;a=1\r\n\r\n",
	}
	for _, tc := range parseCases(t) {
		heads = append(heads, tc.input)
	}
	compared := 0
	for _, h := range heads {
		var r Request
		if r.Parse([]byte(h), ReadBufferBytes) != Complete {
			continue
		}
		compared++
		checkAgainstStdlib(t, []byte(h), &r)
	}
	if compared < 3 {
		t.Fatalf("only %d heads were Complete; the cross-check ran on too few", compared)
	}
}
