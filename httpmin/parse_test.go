package httpmin

import (
	"strings"
	"testing"
)

// typicalRequest is what a flash-sale client sends; benchmarks and the
// prefix test use it because it exercises every part of the parser.
const typicalRequest = "GET /buy?sku=4205100011&token=123.1700000000.0123456789abcdef0123456789abcdef HTTP/1.1\r\n" +
	"Host: shop.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n" +
	"Accept: application/json\r\n" +
	"Cookie: sk=123.1700000000.0123456789abcdef0123456789abcdef; theme=dark\r\n" +
	"\r\n"

// headOfLength builds a valid GET head of exactly n bytes by padding one
// header value, so the size limit can be tested at its boundary.
func headOfLength(t testing.TB, n int) string {
	const prefix = "GET / HTTP/1.1\r\nX-Pad: "
	const suffix = "\r\n\r\n"
	pad := n - len(prefix) - len(suffix)
	if pad < 0 {
		t.Fatalf("head of %d bytes is too short to build", n)
	}
	return prefix + strings.Repeat("a", pad) + suffix
}

type parseCase struct {
	name  string
	input string
	want  Outcome
	// Checked only when want is Complete.
	path    string
	headLen int // 0 means len(input)
}

func parseCases(t testing.TB) []parseCase {
	return []parseCase{
		{name: "simple GET", input: "GET /buy HTTP/1.1\r\nHost: x\r\n\r\n", want: Complete, path: "/buy"},
		{name: "HTTP/1.0 without headers", input: "GET / HTTP/1.0\r\n\r\n", want: Complete, path: "/"},
		{name: "typical request", input: typicalRequest, want: Complete, path: "/buy"},
		{name: "bare LF line endings", input: "GET /a HTTP/1.1\nHost: x\n\n", want: Complete, path: "/a"},
		{name: "mixed line endings", input: "GET /a HTTP/1.1\r\nHost: x\n\r\n", want: Complete, path: "/a"},
		{name: "trailing bytes ignored", input: "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", want: Complete, path: "/a", headLen: 19},
		{name: "query only path", input: "GET /?a=1 HTTP/1.1\r\n\r\n", want: Complete, path: "/"},
		{name: "empty header value", input: "GET / HTTP/1.1\r\nX-Empty:\r\n\r\n", want: Complete, path: "/"},
		{name: "Content-Length 0", input: "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", want: Complete, path: "/"},
		{name: "exactly max head", input: headOfLength(t, ReadBufferBytes), want: Complete, path: "/"},

		{name: "empty input", input: "", want: Incomplete},
		{name: "partial request line", input: "GET /buy HTT", want: Incomplete},
		{name: "partial headers", input: "GET /buy HTTP/1.1\r\nHost: x\r\n", want: Incomplete},
		{name: "ends with CR", input: "GET /buy HTTP/1.1\r\n\r", want: Incomplete},

		{name: "POST", input: "POST /buy HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", want: MethodNotAllowed},
		{name: "PUT", input: "PUT /buy HTTP/1.1\r\n\r\n", want: MethodNotAllowed},
		{name: "HEAD", input: "HEAD /buy HTTP/1.1\r\n\r\n", want: MethodNotAllowed},
		{name: "DELETE", input: "DELETE /buy HTTP/1.1\r\n\r\n", want: MethodNotAllowed},
		{name: "OPTIONS is a preflight", input: "OPTIONS /buy HTTP/1.1\r\nOrigin: https://m.example\r\n\r\n", want: Preflight},
		{name: "OPTIONS incomplete", input: "OPTIONS /buy HTTP/1.1\r\nOrigin: https://m.example\r\n", want: Incomplete},
		{name: "lower-case get is another method", input: "get / HTTP/1.1\r\n\r\n", want: MethodNotAllowed},
		{name: "custom token method", input: "X-PURGE! / HTTP/1.1\r\n\r\n", want: MethodNotAllowed},
		{name: "405 before headers arrive", input: "POST /buy HTTP/1.1\r\nHost:", want: MethodNotAllowed},

		{name: "one byte over max without end", input: strings.Repeat("G", ReadBufferBytes+1), want: HeadTooLarge},
		{name: "max head without end", input: "GET / HTTP/1.1\r\nX-Pad: " + strings.Repeat("a", ReadBufferBytes), want: HeadTooLarge},
		{name: "head one byte over max", input: headOfLength(t, ReadBufferBytes+1), want: HeadTooLarge},

		{name: "body via Content-Length", input: "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", want: BadRequest},
		{name: "Content-Length not a number", input: "GET / HTTP/1.1\r\nContent-Length: zero\r\n\r\n", want: BadRequest},
		{name: "Content-Length empty", input: "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", want: BadRequest},
		{name: "Content-Length list", input: "GET / HTTP/1.1\r\ncontent-length: 0, 0\r\n\r\n", want: BadRequest},
		{name: "Transfer-Encoding chunked", input: "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", want: BadRequest},
		{name: "Transfer-Encoding any case", input: "GET / HTTP/1.1\r\ntRaNsFeR-eNcOdInG: identity\r\n\r\n", want: BadRequest},
		{name: "bad version", input: "GET / HTTP/2.0\r\n\r\n", want: BadRequest},
		{name: "lower-case version", input: "GET / http/1.1\r\n\r\n", want: BadRequest},
		{name: "missing version", input: "GET /\r\n\r\n", want: BadRequest},
		{name: "missing target", input: "GET HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "empty target", input: "GET  HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "absolute-form target", input: "GET http://x/ HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "asterisk target", input: "GET * HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "space inside target", input: "GET /a b HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "tab inside target", input: "GET /a\tb HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "NUL inside target", input: "GET /a\x00b HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "DEL inside target", input: "GET /a\x7fb HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "empty method", input: " / HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "invalid method char", input: "GE(T / HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "leading empty line", input: "\r\nGET / HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "bare CR in request line", input: "GET /\r HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "bad percent escape", input: "GET /buy?sku=%G1 HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "truncated percent escape", input: "GET /buy?sku=%4 HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "percent at end", input: "GET /buy?sku=% HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "bad escape in key", input: "GET /buy?%zz=1 HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "too many params", input: "GET /?" + strings.Repeat("a=1&", MaxQueryParams) + "b=2 HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "header without colon", input: "GET / HTTP/1.1\r\nHost x\r\n\r\n", want: BadRequest},
		{name: "header with empty name", input: "GET / HTTP/1.1\r\n: x\r\n\r\n", want: BadRequest},
		{name: "space before colon", input: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", want: BadRequest},
		{name: "invalid header name", input: "GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", want: BadRequest},
		{name: "folded header", input: "GET / HTTP/1.1\r\nX-A: b\r\n  c\r\n\r\n", want: BadRequest},
		{name: "bare CR in header value", input: "GET / HTTP/1.1\r\nX-A: b\rc\r\n\r\n", want: BadRequest},
		{name: "NUL in header value", input: "GET / HTTP/1.1\r\nX-A: b\x00c\r\n\r\n", want: BadRequest},
		{name: "too many Cookie headers", input: "GET / HTTP/1.1\r\n" + strings.Repeat("Cookie: a=1\r\n", MaxCookieHeaders+1) + "\r\n", want: BadRequest},

		// No guessing: a request two readers could read differently is 400.
		{name: "duplicate sku", input: "GET /buy?sku=a&token=t&sku=b HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "duplicate sku same value", input: "GET /buy?sku=a&sku=a HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "duplicate sku by escape", input: "GET /buy?sku=a&%73ku=b HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "duplicate token", input: "GET /buy?token=a&sku=s&token=b HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "duplicate uid", input: "GET /buy?uid=1&uid=2 HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "duplicate captcha", input: "GET /buy?captcha=1&captcha HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "duplicate other param is fine", input: "GET /buy?utm=1&utm=2&sku=a HTTP/1.1\r\n\r\n", want: Complete, path: "/buy"},
		{name: "two sk cookies in one header", input: "GET / HTTP/1.1\r\nCookie: sk=a; b=1; sk=b\r\n\r\n", want: BadRequest},
		{name: "two sk cookies, same value", input: "GET / HTTP/1.1\r\nCookie: sk=a; sk=a\r\n\r\n", want: BadRequest},
		{name: "sk cookies across headers", input: "GET / HTTP/1.1\r\nCookie: sk=first\r\nCookie: sk=second\r\n\r\n", want: BadRequest},
		{name: "token in query and cookie differ", input: "GET /buy?token=a HTTP/1.1\r\nCookie: sk=b\r\n\r\n", want: BadRequest},
		{name: "token in query and cookie agree", input: "GET /buy?token=a HTTP/1.1\r\nCookie: sk=a\r\n\r\n", want: Complete, path: "/buy"},
		{name: "token in query and quoted cookie agree", input: "GET /buy?token=a HTTP/1.1\r\nCookie: sk=\"a\"\r\n\r\n", want: Complete, path: "/buy"},
		{name: "duplicate Host", input: "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", want: BadRequest},
		{name: "duplicate Origin", input: "GET / HTTP/1.1\r\nOrigin: https://a\r\nOrigin: https://b\r\n\r\n", want: BadRequest},
		{name: "non-ASCII byte in path", input: "GET /b\xc3\xbcy HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "non-ASCII byte in query", input: "GET /buy?sku=\xff HTTP/1.1\r\n\r\n", want: BadRequest},
		{name: "escaped non-ASCII is fine", input: "GET /buy?k=%C3%BC HTTP/1.1\r\n\r\n", want: Complete, path: "/buy"},
		{name: "too many X-Forwarded-For", input: "GET / HTTP/1.1\r\n" + strings.Repeat("X-Forwarded-For: 1.2.3.4\r\n", MaxForwardedHeaders+1) + "\r\n", want: BadRequest},
		{name: "error before limit wins", input: "GET / HTTP/1.1\r\nbad\r\n" + strings.Repeat("a", ReadBufferBytes), want: BadRequest},
	}
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			got := r.Parse([]byte(tc.input), ReadBufferBytes)
			if got != tc.want {
				t.Fatalf("Parse(%q) = %v, want %v", tc.input, got, tc.want)
			}
			if got != Complete {
				return
			}
			if string(r.Path()) != tc.path {
				t.Errorf("Path() = %q, want %q", r.Path(), tc.path)
			}
			wantLen := tc.headLen
			if wantLen == 0 {
				wantLen = len(tc.input)
			}
			if r.HeadLen() != wantLen {
				t.Errorf("HeadLen() = %d, want %d", r.HeadLen(), wantLen)
			}
		})
	}
}

// TestParseEveryPrefixIsIncomplete checks that a valid request split at any
// point never looks finished or broken, since TCP may deliver it that way.
func TestParseEveryPrefixIsIncomplete(t *testing.T) {
	for _, input := range []string{typicalRequest, "GET / HTTP/1.0\n\n", headOfLength(t, ReadBufferBytes)} {
		var r Request
		for n := range len(input) {
			if got := r.Parse([]byte(input[:n]), ReadBufferBytes); got != Incomplete {
				t.Fatalf("Parse(prefix of %d/%d bytes %q) = %v, want Incomplete", n, len(input), input[:n], got)
			}
		}
		if got := r.Parse([]byte(input), ReadBufferBytes); got != Complete {
			t.Fatalf("Parse(full %q) = %v, want Complete", input, got)
		}
	}
}

func TestParseCustomLimit(t *testing.T) {
	var r Request
	head := []byte("GET /buy HTTP/1.1\r\nHost: x\r\n\r\n")
	if got := r.Parse(head, len(head)); got != Complete {
		t.Errorf("limit equal to head: got %v, want Complete", got)
	}
	if got := r.Parse(head, len(head)-1); got != HeadTooLarge {
		t.Errorf("limit one below head: got %v, want HeadTooLarge", got)
	}
	if got := r.Parse([]byte(headOfLength(t, ReadBufferBytes)), 0); got != Complete {
		t.Errorf("limit 0 should mean ReadBufferBytes: got %v", got)
	}
	long := []byte("GET /?q=" + strings.Repeat("x", ReadBufferBytes) + " HTTP/1.1\r\n\r\n")
	if got := r.Parse(long, 4*ReadBufferBytes); got != HeadTooLarge {
		t.Errorf("query larger than scratch: got %v, want HeadTooLarge", got)
	}
}

func TestParseReuseForgetsPreviousRequest(t *testing.T) {
	var r Request
	if r.Parse([]byte("GET /a?x=1 HTTP/1.1\r\nCookie: sk=t\r\n\r\n"), ReadBufferBytes) != Complete {
		t.Fatal("first parse failed")
	}
	if r.Parse([]byte("GET /b HTTP/1.1\r\n\r\n"), ReadBufferBytes) != Complete {
		t.Fatal("second parse failed")
	}
	if _, ok := r.Query("x"); ok {
		t.Error("query param survived a new Parse")
	}
	if _, ok := r.Cookie("sk"); ok {
		t.Error("cookie survived a new Parse")
	}
	r.Reset()
	if r.Path() != nil || r.HeadLen() != 0 {
		t.Error("Reset left path or head length behind")
	}
}

func TestQuery(t *testing.T) {
	cases := []struct {
		target string
		name   string
		want   string
		ok     bool
	}{
		{"/buy?sku=a%2Fb&token=x+y", "sku", "a/b", true},
		{"/buy?sku=a%2Fb&token=x+y", "token", "x y", true},
		{"/buy?sku=a%2Fb&token=x+y", "missing", "", false},
		{"/buy", "sku", "", false},
		{"/buy?", "sku", "", false},
		{"/buy?flag", "flag", "", true},
		{"/buy?flag=", "flag", "", true},
		{"/buy?a=1&a=2", "a", "1", true},
		{"/buy?a=1&&b=2", "b", "2", true},
		{"/buy?%41=%61%62", "A", "ab", true},
		{"/buy?k=%e2%82%ac", "k", "€", true},
		{"/buy?k=a=b", "k", "a=b", true},
		{"/buy?k=%25", "k", "%", true},
		{"/buy?sku=1&Sku=2", "Sku", "2", true},
	}
	for _, tc := range cases {
		var r Request
		input := "GET " + tc.target + " HTTP/1.1\r\n\r\n"
		if got := r.Parse([]byte(input), ReadBufferBytes); got != Complete {
			t.Fatalf("Parse(%q) = %v", input, got)
		}
		got, ok := r.Query(tc.name)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("%s: Query(%q) = %q, %v; want %q, %v", tc.target, tc.name, got, ok, tc.want, tc.ok)
		}
		if string(r.Path()) != "/buy" {
			t.Errorf("%s: Path() = %q", tc.target, r.Path())
		}
	}
}

func TestCookie(t *testing.T) {
	cases := []struct {
		headers string
		name    string
		want    string
		ok      bool
	}{
		{"Cookie: a=1; sk=tok; b=2\r\n", "sk", "tok", true},
		{"Cookie: a=1; sk=tok; b=2\r\n", "b", "2", true},
		{"Cookie: sk=tok\r\n", "sk", "tok", true},
		{"cookie:sk=tok;other=x\r\n", "other", "x", true},
		{"Cookie: a=1\r\nCookie: sk=second\r\n", "sk", "second", true},
		{"Cookie: a=first\r\nCookie: a=second\r\n", "a", "first", true},
		{"Cookie: sk=\"quoted\"\r\n", "sk", "quoted", true},
		{"Cookie: sk=\r\n", "sk", "", true},
		{"Cookie: junk; sk=tok\r\n", "sk", "tok", true},
		{"Cookie: xsk=1; skx=2\r\n", "sk", "", false},
		{"Cookie: SK=tok\r\n", "sk", "", false},
		{"Cookie: a=1\r\n", "sk", "", false},
		{"", "sk", "", false},
	}
	for _, tc := range cases {
		var r Request
		input := "GET / HTTP/1.1\r\n" + tc.headers + "\r\n"
		if got := r.Parse([]byte(input), ReadBufferBytes); got != Complete {
			t.Fatalf("Parse(%q) = %v", input, got)
		}
		got, ok := r.Cookie(tc.name)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("%q: Cookie(%q) = %q, %v; want %q, %v", tc.headers, tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestParseDoesNotAllocate guards the hot path: one allocation per request
// is a million allocations per flash sale.
func TestParseDoesNotAllocate(t *testing.T) {
	buf := []byte(typicalRequest)
	var r Request
	allocs := testing.AllocsPerRun(1000, func() {
		if r.Parse(buf, ReadBufferBytes) != Complete {
			t.Fatal("parse failed")
		}
		if _, ok := r.Query("sku"); !ok {
			t.Fatal("sku missing")
		}
		if _, ok := r.Query("token"); !ok {
			t.Fatal("token missing")
		}
		if _, ok := r.Cookie("sk"); !ok {
			t.Fatal("sk missing")
		}
		_ = r.Path()
	})
	if allocs != 0 {
		t.Fatalf("Parse+Query+Cookie allocated %v times per run", allocs)
	}
}

func BenchmarkParse(b *testing.B) {
	buf := []byte(typicalRequest)
	var r Request
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if r.Parse(buf, ReadBufferBytes) != Complete {
			b.Fatal("parse failed")
		}
		_, _ = r.Query("sku")
		_, _ = r.Cookie("sk")
	}
}

func TestParseMinorVersion(t *testing.T) {
	var r Request
	for input, want := range map[string]int{"GET / HTTP/1.0\r\n\r\n": 0, "GET / HTTP/1.1\r\n\r\n": 1} {
		if r.Parse([]byte(input), ReadBufferBytes) != Complete || r.MinorVersion() != want {
			t.Errorf("Parse(%q): MinorVersion() = %d, want %d", input, r.MinorVersion(), want)
		}
	}
}

func TestParseHeadIsMarked(t *testing.T) {
	var r Request
	if out := r.Parse([]byte("HEAD /buy HTTP/1.1\r\n\r\n"), 0); out != MethodNotAllowed || !r.IsHead() {
		t.Fatalf("HEAD: %v, IsHead %v", out, r.IsHead())
	}
	if out := r.Parse([]byte("POST /buy HTTP/1.1\r\n\r\n"), 0); out != MethodNotAllowed || r.IsHead() {
		t.Fatalf("POST: %v, IsHead %v", out, r.IsHead())
	}
}

func TestParseKeepsHostOriginForwarded(t *testing.T) {
	var r Request
	in := "GET / HTTP/1.1\r\nHost:  shop.example \r\nOrigin: https://m.example\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8\r\nX-Forwarded-For: 9.9.9.9\r\n\r\n"
	if out := r.Parse([]byte(in), 0); out != Complete {
		t.Fatal(out)
	}
	if string(r.Host()) != "shop.example" || string(r.Origin()) != "https://m.example" {
		t.Errorf("Host %q Origin %q", r.Host(), r.Origin())
	}
	if f := r.ForwardedFor(); len(f) != 2 || string(f[0]) != "1.2.3.4, 5.6.7.8" || string(f[1]) != "9.9.9.9" {
		t.Errorf("ForwardedFor %q", f)
	}
}
