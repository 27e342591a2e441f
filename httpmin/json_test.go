package httpmin

import (
	"encoding/json"
	"math"
	"testing"
)

func TestJSONEscaping(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"", `""`},
		{"plain", `"plain"`},
		{`say "hi"`, `"say \"hi\""`},
		{`back\slash`, `"back\\slash"`},
		{"line\nbreak\ttab\rcr", `"line\u000abreak\u0009tab\u000dcr"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"\x7f", "\"\x7f\""},
		{"héllo €𝄞", `"héllo €𝄞"`},
		{"bad\xffbyte", `"bad\ufffdbyte"`},
		{"\xe2\x82", `"\ufffd\ufffd"`},
		{"</script>", `"</script>"`},
	}
	for _, tc := range cases {
		var j JSON
		j.Begin()
		j.Str("k", tc.in)
		j.End()
		want := `{"k":` + tc.want + `}`
		if string(j.B) != want {
			t.Errorf("Str(%q) built %s, want %s", tc.in, j.B, want)
		}

		var jb JSON
		jb.Begin()
		jb.Bytes("k", []byte(tc.in))
		jb.End()
		if string(jb.B) != want {
			t.Errorf("Bytes(%q) built %s, want %s", tc.in, jb.B, want)
		}

		var decoded map[string]string
		if err := json.Unmarshal(j.B, &decoded); err != nil {
			t.Errorf("Str(%q) built invalid JSON %s: %v", tc.in, j.B, err)
			continue
		}
		// encoding/json also maps invalid UTF-8 to U+FFFD, so the
		// round trip must match its own reading of the input.
		var wantDecoded string
		reference, _ := json.Marshal(tc.in)
		_ = json.Unmarshal(reference, &wantDecoded)
		if decoded["k"] != wantDecoded {
			t.Errorf("Str(%q) decoded to %q, want %q", tc.in, decoded["k"], wantDecoded)
		}
	}
}

func TestJSONObject(t *testing.T) {
	var j JSON
	j.Begin()
	j.Str("status", "ok")
	j.Bytes("sku", []byte("4205100011"))
	j.Int("delta", -5)
	j.Int("min", math.MinInt64)
	j.Uint("order_id", math.MaxUint64)
	j.Bool("sold_out", false)
	j.End()
	want := `{"status":"ok","sku":"4205100011","delta":-5,"min":-9223372036854775808,"order_id":18446744073709551615,"sold_out":false}`
	if string(j.B) != want {
		t.Fatalf("got %s\nwant %s", j.B, want)
	}
	if !json.Valid(j.B) {
		t.Fatal("object is not valid JSON")
	}

	var empty JSON
	empty.Begin()
	empty.End()
	if string(empty.B) != "{}" {
		t.Fatalf("empty object = %s", empty.B)
	}
}

func TestJSONAppendsAfterExistingBytes(t *testing.T) {
	j := JSON{B: []byte("body=")}
	j.Begin()
	j.Int("a", 1)
	j.Int("b", 2)
	j.End()
	if string(j.B) != `body={"a":1,"b":2}` {
		t.Fatalf("got %s", j.B)
	}
}

func TestJSONDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 256)
	sku := []byte("4205100011")
	allocs := testing.AllocsPerRun(1000, func() {
		j := JSON{B: buf[:0]}
		j.Begin()
		j.Str("status", "sold \"out\"\n")
		j.Bytes("sku", sku)
		j.Int("remaining", -1)
		j.Uint("order_id", 1234567890)
		j.Bool("retry", true)
		j.End()
		buf = j.B
	})
	if allocs != 0 {
		t.Fatalf("JSON builder allocated %v times per run", allocs)
	}
}

func BenchmarkJSON(b *testing.B) {
	buf := make([]byte, 0, 256)
	sku := []byte("4205100011")
	b.ReportAllocs()
	for b.Loop() {
		j := JSON{B: buf[:0]}
		j.Begin()
		j.Str("status", "ok")
		j.Bytes("sku", sku)
		j.Uint("order_id", 1234567890)
		j.End()
		buf = j.B
	}
}
