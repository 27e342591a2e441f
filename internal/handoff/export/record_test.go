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
			prev + "," + hash + ",round1/phone-1/3,,,\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}

// TestPromotedKnownAnswer pins both formats' bytes for one promoted record
// (seq 3 issued a second time, to uid 77, after uid 42's lapse), written
// out by hand from docs/EXPORT.md: the Digest packs the new ticket, the
// lapsed uid and the round (engine.Control.Promotion).
func TestPromotedKnownAnswer(t *testing.T) {
	c := engine.Control{Activity: "round1", SKU: "phone-1", Seq: 9, Kind: engine.ControlPromoted, Num: 3, UID: 77,
		TimeUnixNano: 1610431200123456789}
	for i := range 16 {
		c.Digest[i] = byte(i)
	}
	c.Digest[23] = 42 // promoted_from, big-endian
	c.Digest[31] = 2  // round
	for i := range c.Prev {
		c.Prev[i] = 0xaa
		c.Hash[i] = 0xbb
	}
	const (
		ticket = "000102030405060708090a0b0c0d0e0f"
		prev   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		hash   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	)
	for _, tc := range []struct{ name, got, want string }{
		{"key", string(AppendPromotionKey(nil, &c)), "round1/phone-1/3/r2"},
		{"jsonl", string(AppendPromotedJSON(nil, &c)), `{"activity":"round1","sku":"phone-1","seq":3,"uid":77,"ticket":"` + ticket +
			`","time":"2021-01-12T06:00:00.123456789Z","time_unix_nano":1610431200123456789,"client":"","prev":"` + prev +
			`","hash":"` + hash + `","idempotency_key":"round1/phone-1/3/r2","state":"promoted","promoted_from":42,"round":2}`},
		{"csv", string(AppendPromotedCSV(nil, &c)), "round1,phone-1,3,77," + ticket + ",2021-01-12T06:00:00.123456789Z,1610431200123456789,," +
			prev + "," + hash + ",round1/phone-1/3/r2,promoted,42,2\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}
