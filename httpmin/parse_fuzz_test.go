package httpmin

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// fuzzLimits are the head limits each fuzz input is parsed under: the
// production default and a small one so the size boundary is hit often.
var fuzzLimits = []int{ReadBufferBytes, 64}

func FuzzParse(f *testing.F) {
	for _, tc := range parseCases(f) {
		f.Add([]byte(tc.input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, maxHead := range fuzzLimits {
			checkParseInvariants(t, data, maxHead)
		}
	})
}

func checkParseInvariants(t *testing.T, data []byte, maxHead int) {
	var r Request
	out := r.Parse(data, maxHead)
	if again := r.Parse(data, maxHead); again != out {
		t.Fatalf("Parse is not deterministic: %v then %v", out, again)
	}
	// Lookups must be safe whatever was parsed.
	_, _ = r.Query("sku")
	_, _ = r.Query("")
	_, _ = r.Cookie("sk")

	if out != Complete {
		return
	}
	headLen := r.HeadLen()
	if headLen > maxHead || headLen > len(data) || headLen < len("GET / HTTP/1.1\n\n") {
		t.Fatalf("HeadLen %d out of range (maxHead %d, input %d)", headLen, maxHead, len(data))
	}
	if data[headLen-1] != '\n' {
		t.Fatalf("head does not end with LF: %q", data[:headLen])
	}
	if !bytes.HasPrefix(r.Path(), []byte("/")) {
		t.Fatalf("Path %q does not start with /", r.Path())
	}
	if !bytes.HasPrefix(data, []byte("GET /")) {
		t.Fatalf("Complete for a request not starting with \"GET /\": %q", data)
	}
	checkAgainstStdlib(t, data, &r)

	// Bytes after the head must not matter.
	var head Request
	if got := head.Parse(data[:headLen], maxHead); got != Complete || head.HeadLen() != headLen {
		t.Fatalf("head alone parsed as %v/%d, with trailing bytes as Complete/%d", got, head.HeadLen(), headLen)
	}

	// A head cut short must never look finished: the event loop would
	// answer before the client sent everything.
	cuts := []int{headLen - 1, headLen - 2, headLen / 2, int(data[len(data)-1]) % headLen}
	for _, n := range cuts {
		if n < 0 {
			continue
		}
		var p Request
		if got := p.Parse(data[:n], maxHead); got == Complete {
			t.Fatalf("prefix of %d bytes parsed Complete, full head is %d bytes", n, headLen)
		}
	}
}

func FuzzJSONStr(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\n\x1f", "héllo €𝄞", "bad\xffbyte", "\xe2\x82", "\ufffd", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var j JSON
		j.Begin()
		j.Str("k", s)
		j.End()
		var jb JSON
		jb.Begin()
		jb.Bytes("k", []byte(s))
		jb.End()
		if !bytes.Equal(j.B, jb.B) {
			t.Fatalf("Str and Bytes disagree: %s vs %s", j.B, jb.B)
		}
		var decoded map[string]string
		if err := json.Unmarshal(j.B, &decoded); err != nil {
			t.Fatalf("invalid JSON %q: %v", j.B, err)
		}
		want := s
		if !utf8.ValidString(s) {
			// Each invalid byte becomes U+FFFD, which is exactly how
			// ranging over a string decodes it.
			var fixed []rune
			for _, r := range s {
				fixed = append(fixed, r)
			}
			want = string(fixed)
		}
		if decoded["k"] != want {
			t.Fatalf("round trip of %q gave %q, want %q", s, decoded["k"], want)
		}
	})
}

// FuzzStream checks a Stream against Parse on the whole head, the reference
// model: the same outcome and values whether the head comes whole, split at
// a fuzzed place, or a byte at a time.
func FuzzStream(f *testing.F) {
	for _, tc := range parseCases(f) {
		f.Add([]byte(tc.input), uint16(len(tc.input)/2))
	}
	f.Add([]byte(browserHead(f, 1024, "middle")), uint16(700))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		for _, limit := range fuzzLimits {
			var r Request
			want := viewOf(&r, r.Parse(data, limit))
			whole := streamFeed(data, nil, limit, limit)
			if !sameAsParse(data, limit, whole, want) {
				t.Fatalf("limit %d, whole: stream %+v, Parse %+v", limit, whole, want)
			}
			// However it is split, a Stream gives the same answer as whole.
			if got := streamFeed(data, []int{int(cut)}, limit, limit); got != whole {
				t.Fatalf("limit %d, split at %d: %+v, whole %+v", limit, cut, got, whole)
			}
			every := make([]int, min(len(data), limit+1))
			for i := range every {
				every[i] = i
			}
			if got := streamFeed(data, every, limit, limit); got != whole {
				t.Fatalf("limit %d, byte by byte: %+v, whole %+v", limit, got, whole)
			}
		}
	})
}
