package main

import (
	"math"
	"strings"
	"testing"
)

func TestExpandSKUs(t *testing.T) {
	got, err := expandSKUs("a, p{0..2}x,b")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "a p0x p1x p2x b" {
		t.Fatalf("got %v", got)
	}
	for _, bad := range []string{"", "p{2..1}", "p{a..b}", "p}0..1{"} {
		if _, err := expandSKUs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestMedianAndLookup(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Fatalf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Fatalf("median even = %v", m)
	}
	rec := map[string]any{"server": map[string]any{"cpu": 1.5}, "label": "x"}
	if v := lookup(rec, "server.cpu"); v != 1.5 {
		t.Fatalf("lookup = %v", v)
	}
	if v := lookup(rec, "server.missing"); !math.IsNaN(v) {
		t.Fatalf("missing = %v, want NaN", v)
	}
	if num(math.NaN()) != "–" || num(12345.6) != "12346" || num(1.234) != "1.23" {
		t.Fatalf("num: %q %q %q", num(math.NaN()), num(12345.6), num(1.234))
	}
}

func TestReadRowsGroupsByLabel(t *testing.T) {
	in := `{"label":"a","v":1}
{"label":"b","v":10}
{"label":"a","v":3}
`
	rows, order, err := readRows(strings.NewReader(in), []string{"v"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "a,b" || len(rows["a"]) != 2 || median(column(rows["a"], 0)) != 2 {
		t.Fatalf("order %v rows %v", order, rows)
	}
}
