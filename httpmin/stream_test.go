package httpmin

import (
	"fmt"
	"strings"
	"testing"
)

// parsedView is what the engine reads from a parsed head, for comparing a
// Stream's parse with Parse's.
type parsedView struct {
	out                                     Outcome
	path, host, origin, sku, token, uid, sk string
	hasSku, hasToken, hasUID, hasSK, isHead bool
	headLen                                 int
	forwarded                               string
}

func viewOf(r *Request, out Outcome) parsedView {
	v := parsedView{out: out, isHead: r.IsHead()}
	if out != Complete && out != Preflight {
		return v
	}
	var b []byte
	v.path, v.host, v.origin = string(r.Path()), string(r.Host()), string(r.Origin())
	b, v.hasSku = r.Query("sku")
	v.sku = string(b)
	b, v.hasToken = r.Query("token")
	v.token = string(b)
	b, v.hasUID = r.Query("uid")
	v.uid = string(b)
	b, v.hasSK = r.Cookie("sk")
	v.sk = string(b)
	v.headLen = r.HeadLen()
	v.forwarded = fmt.Sprintf("%q", r.ForwardedFor())
	return v
}

// streamFeed reads input through a Stream in the given pieces.
func streamFeed(input []byte, cuts []int, maxHead, maxLine int) parsedView {
	var s Stream
	var r Request
	s.Reset(make([]byte, 0, 16), maxHead, maxLine)
	out := Incomplete
	prev := 0
	for _, cut := range append(cuts, len(input)) {
		cut = min(cut, len(input))
		chunk := input[prev:cut]
		prev = cut
		if need := s.Room(len(chunk)); cap(s.Kept()) < need {
			s.Regrow(append(make([]byte, 0, need), s.Kept()...))
		}
		if out = s.Feed(&r, chunk); out != Incomplete {
			break
		}
	}
	return viewOf(&r, out)
}

// sameAsParse reports whether a Stream's view got matches Parse's view want
// of the same input. A Stream may refuse earlier than Parse: a byte that no
// line can hold (a bare CR, a control byte, a space in a header name) is a
// 400 at once, while Parse waits for the line's LF, or reaches the limit
// first. So when Parse is still waiting or out of room, a Stream's 400 must
// be what Parse says once the lines end and the limit is lifted.
func sameAsParse(input []byte, limit int, got, want parsedView) bool {
	if got == want {
		return true
	}
	if (want.out != Incomplete && want.out != HeadTooLarge) || got.out != BadRequest {
		return false
	}
	var r Request
	ended := append(append([]byte(nil), input...), "\n\n"...)
	return r.Parse(ended, len(ended)) == BadRequest
}

// TestStreamMatchesParseAtEverySplit uses Parse on the whole head as the
// reference model: with both limits equal to Parse's, a Stream must give the
// same outcome and the same values however the head is split.
func TestStreamMatchesParseAtEverySplit(t *testing.T) {
	const limit = ReadBufferBytes
	for _, tc := range parseCases(t) {
		input := []byte(tc.input)
		var r Request
		want := viewOf(&r, r.Parse(input, limit))
		if got := streamFeed(input, nil, limit, limit); !sameAsParse(input, limit, got, want) {
			t.Fatalf("%s: whole: stream %+v, Parse %+v", tc.name, got, want)
		}
		for cut := range len(input) {
			if got := streamFeed(input, []int{cut}, limit, limit); !sameAsParse(input, limit, got, want) {
				t.Fatalf("%s: split at %d: stream %+v, Parse %+v", tc.name, cut, got, want)
			}
		}
		if len(input) < 300 {
			every := make([]int, len(input))
			for i := range every {
				every[i] = i
			}
			if got := streamFeed(input, every, limit, limit); !sameAsParse(input, limit, got, want) {
				t.Fatalf("%s: byte by byte: stream %+v, Parse %+v", tc.name, got, want)
			}
		}
	}
}

const testToken = "123.1700000000.0123456789abcdef0123456789abcdef"

// browserHead builds a GET head of exactly size bytes the way Chromium sends
// one: user agent, client hints, and a long Cookie header of the mall's
// cookies with sk at the given place ("start", "middle" or "end").
func browserHead(t testing.TB, size int, skAt string) string {
	prefix := "GET /buy?sku=phone-1 HTTP/1.1\r\n" +
		"Host: 127.0.0.1:8080\r\n" +
		"Connection: keep-alive\r\n" +
		"sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n" +
		"sec-ch-ua-mobile: ?0\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
		"Origin: https://www.example-mall.com\r\n" +
		"Referer: https://www.example-mall.com/\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n"
	sk := "sk=" + testToken
	fixed := len(prefix) + len("Cookie: ") + len(sk) + len("\r\n\r\n")
	fill := size - fixed
	if fill < 40 {
		t.Fatalf("head of %d bytes too short", size)
	}
	// Cookies "cN=vvv; " of 20 bytes each, then one that takes the rest.
	var mall []string
	for fill > 0 {
		n := min(20, fill)
		if fill-n < 8 && fill-n > 0 {
			n = fill
		}
		name := fmt.Sprintf("c%d=", len(mall))
		mall = append(mall, name+strings.Repeat("v", n-len(name)-2))
		fill -= n
	}
	var cookie string
	switch skAt {
	case "start":
		cookie = sk + "; " + strings.Join(mall, "; ")
	case "middle":
		h := len(mall) / 2
		cookie = strings.Join(mall[:h], "; ") + "; " + sk + "; " + strings.Join(mall[h:], "; ")
	case "end":
		cookie = strings.Join(mall, "; ") + "; " + sk
	}
	head := prefix + "Cookie: " + cookie + "\r\n\r\n"
	if len(head) != size {
		t.Fatalf("built %d bytes, want %d", len(head), size)
	}
	return head
}

func TestStreamBrowserHeads(t *testing.T) {
	for _, size := range []int{1024, 4096, 8192, 8193} {
		for _, skAt := range []string{"start", "middle", "end"} {
			head := []byte(browserHead(t, size, skAt))
			want := Complete
			if size > DefaultMaxHeadBytes {
				want = HeadTooLarge
			}
			// Through a 1 KiB read buffer, as the event loop reads it, and
			// split at a few awkward places.
			var cuts []int
			for c := ReadBufferBytes; c < len(head); c += ReadBufferBytes {
				cuts = append(cuts, c)
			}
			for _, pieces := range [][]int{nil, cuts, {1, 2, len(head) / 3, len(head) - 1}} {
				got := streamFeed(head, pieces, 0, 0)
				if got.out != want {
					t.Fatalf("%d bytes, sk at %s, cuts %v: %v, want %v", size, skAt, pieces, got.out, want)
				}
				if want != Complete {
					continue
				}
				if !got.hasSK || got.sk != testToken || got.sku != "phone-1" || got.origin != "https://www.example-mall.com" || got.host != "127.0.0.1:8080" || got.headLen != size {
					t.Fatalf("%d bytes, sk at %s: read %+v", size, skAt, got)
				}
			}
		}
	}
}

func TestStreamLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name  string
		input string
		want  Outcome
	}{
		{"request line of exactly the read buffer", "GET /?q=" + long(ReadBufferBytes-len("GET /?q= HTTP/1.1\r\n")) + " HTTP/1.1\r\n\r\n", Complete},
		{"request line one byte over the read buffer", "GET /?q=" + long(ReadBufferBytes-len("GET /?q= HTTP/1.1\r\n")+1) + " HTTP/1.1\r\n\r\n", HeadTooLarge},
		{"request line over the read buffer, head unfinished", "GET /?q=" + long(2*ReadBufferBytes), HeadTooLarge},
		{"a long skipped header is fine", "GET / HTTP/1.1\r\nUser-Agent: " + long(6000) + "\r\n\r\n", Complete},
		{"kept headers over their bound", "GET / HTTP/1.1\r\n" + strings.Repeat("X-Forwarded-For: "+long(600)+"\r\n", 4) + "\r\n", HeadTooLarge},
		{"sk value over the kept bound", "GET / HTTP/1.1\r\nCookie: sk=" + long(ReadBufferBytes+KeptHeaderBytes) + "\r\n\r\n", HeadTooLarge},
		{"head of exactly max", headOfLength(t, DefaultMaxHeadBytes), Complete},
		{"head one over max", headOfLength(t, DefaultMaxHeadBytes+1), HeadTooLarge},
		{"a bad line deep in a long head", "GET / HTTP/1.1\r\nX-A: " + long(5000) + "\r\nbad\r\n\r\n", BadRequest},
		{"a cookie header without sk is dropped", "GET / HTTP/1.1\r\n" + strings.Repeat("Cookie: a="+long(900)+"\r\n", 8) + "\r\n", Complete},
		{"too many cookie headers", "GET / HTTP/1.1\r\n" + strings.Repeat("Cookie: a=1\r\n", MaxCookieHeaders+1) + "\r\n", BadRequest},
		{"sk twice in a long head", "GET / HTTP/1.1\r\nCookie: sk=a; x=" + long(3000) + "\r\nX: y\r\nCookie: z=1; sk=b\r\n\r\n", BadRequest},
		{"sk with spaces inside the name is not sk", "GET / HTTP/1.1\r\nCookie: s k=a; sk=b\r\n\r\n", Complete},
	}
	for _, tc := range cases {
		got := streamFeed([]byte(tc.input), []int{ReadBufferBytes / 3}, 0, 0)
		if got.out != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got.out, tc.want)
		}
	}
}

// TestStreamDoesNotAllocate feeds a 4 KiB browser head through 1 KiB
// chunks, the hot path of a real browser's request.
func TestStreamDoesNotAllocate(t *testing.T) {
	head := []byte(browserHead(t, 4096, "middle"))
	buf := make([]byte, 0, ReadBufferBytes+KeptHeaderBytes)
	var s Stream
	var r Request
	allocs := testing.AllocsPerRun(200, func() {
		s.Reset(buf, 0, 0)
		out := Incomplete
		for c := 0; c < len(head) && out == Incomplete; c += ReadBufferBytes {
			out = s.Feed(&r, head[c:min(c+ReadBufferBytes, len(head))])
		}
		if out != Complete {
			t.Fatalf("outcome %v", out)
		}
		if _, ok := r.Cookie("sk"); !ok {
			t.Fatal("sk missing")
		}
	})
	if allocs != 0 {
		t.Fatalf("Stream allocated %v times per head", allocs)
	}
}

func BenchmarkStreamBrowserHead(b *testing.B) {
	head := []byte(browserHead(b, 2048, "end"))
	buf := make([]byte, 0, ReadBufferBytes+KeptHeaderBytes)
	var s Stream
	var r Request
	b.ReportAllocs()
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		s.Reset(buf, 0, 0)
		if s.Feed(&r, head[:ReadBufferBytes]) != Incomplete || s.Feed(&r, head[ReadBufferBytes:]) != Complete {
			b.Fatal("parse failed")
		}
	}
}

func TestStreamOriginSurvivesARefusal(t *testing.T) {
	var s Stream
	var r Request
	s.Reset(make([]byte, 0, 2048), 512, 0)
	head := "GET /buy HTTP/1.1\r\nOrigin: https://m.example \r\nX-Pad: " + strings.Repeat("a", 600)
	if out := s.Feed(&r, []byte(head)); out != HeadTooLarge {
		t.Fatalf("outcome %v", out)
	}
	if got := string(s.Origin()); got != "https://m.example" {
		t.Fatalf("Origin %q", got)
	}
	s.Reset(make([]byte, 0, 2048), 0, 0)
	s.Feed(&r, []byte("GET / HTTP/1.1\r\nOrigin: https://m.exam"))
	if got := s.Origin(); got != nil {
		t.Fatalf("Origin of an unfinished line: %q", got)
	}
}
