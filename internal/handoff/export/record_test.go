package export

import (
	"net/netip"
	"testing"

	"seckill/engine"
)

// TestRecordKnownAnswer pins both formats' bytes for one win, written out
// by hand from docs/EXPORT.md's field tables (not produced by the code
// under test). Its uid (42) differs from its seq (3), so a writer or a key
// that puts one where the other belongs fails here even when every
// round-trip test still agrees with itself.
func TestRecordKnownAnswer(t *testing.T) {
	w := engine.Win{Activity: "round1", SKU: "phone-1", Seq: 3, UID: 42,
		TimeUnixNano: 1610431200123456789, Client: netip.MustParseAddr("203.0.113.7")}
	for i := range w.Ticket {
		w.Ticket[i] = byte(i)
	}
	for i := range w.Prev {
		w.Prev[i] = 0xaa
	}
	for i := range w.Hash {
		w.Hash[i] = 0xbb
	}
	const (
		ticket = "000102030405060708090a0b0c0d0e0f"
		prev   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		hash   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	)
	for _, tc := range []struct{ name, got, want string }{
		{"idempotency key", string(AppendIdempotencyKey(nil, &w)), "round1/phone-1/3"},
		{"jsonl", string(AppendJSON(nil, &w)), `{"activity":"round1","sku":"phone-1","seq":3,"uid":42,"ticket":"` + ticket +
			`","time":"2021-01-12T06:00:00.123456789Z","time_unix_nano":1610431200123456789,"client":"203.0.113.7","prev":"` + prev +
			`","hash":"` + hash + `","idempotency_key":"round1/phone-1/3"}`},
		{"csv", string(AppendCSV(nil, &w)), "round1,phone-1,3,42," + ticket + ",2021-01-12T06:00:00.123456789Z,1610431200123456789,203.0.113.7," +
			prev + "," + hash + ",round1/phone-1/3\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}
