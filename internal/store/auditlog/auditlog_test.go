package auditlog

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"seckill/internal/live/uidset"
	"seckill/wal"
)

func openStore(t *testing.T) *wal.Log {
	t.Helper()
	l, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// testConfig is an activity's config as the assembly would build it.
func testConfig(at time.Time) *Config {
	start := time.Date(2021, 1, 12, 6, 30, 0, 0, time.UTC)
	return &Config{
		Version: Version, Activity: "redmi", Title: "Redmi sale", Reason: ReasonStart, TimeUnixNano: at.UnixNano(),
		StartUnixNano: start.UnixNano(), EndUnixNano: start.Add(time.Hour).UnixNano(),
		Reservation: "required", Limit: "activity", Queue: 64,
		Items: []Item{
			{SKU: "a", Stock: 10, QuotaPercent: 50, Quota: 5, ReleasePerSec: 3, Price: 100, Name: "A", Variant: "black"},
			{SKU: "b", Stock: 4, QuotaPercent: 100, Quota: 4},
		},
	}
}

func metaKeys(t *testing.T, l *wal.Log, prefix string) []string {
	t.Helper()
	var keys []string
	if err := l.ScanMeta(prefix, func(k string, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestRecordOnlyChanges: a config is written when it first appears and when
// its effect changes, never when only the time differs — also across a
// restart (a new Recorder on the same store).
func TestRecordOnlyChanges(t *testing.T) {
	l := openStore(t)
	t0 := time.Unix(1_610_000_000, 0)
	stock := int64(4)
	rec, err := NewRecorder(l)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		change func()
		want   bool
	}{
		{"first start", func() {}, true},
		{"same again", func() {}, false},
		{"restart, nothing changed", func() {
			if rec, err = NewRecorder(l); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"restart with more stock", func() { stock = 8 }, true},
		{"same again after the change", func() {}, false},
	}
	for i, st := range steps {
		st.change()
		c := testConfig(t0.Add(time.Duration(i) * time.Second))
		c.Items[1].Stock, c.Items[1].Quota = stock, stock
		got, err := rec.Record(c)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Fatalf("%s: wrote %v, want %v", st.name, got, st.want)
		}
	}
	keys := metaKeys(t, l, configPrefix)
	want := []string{"audit.config/redmi/0000000000000001", "audit.config/redmi/0000000000000002"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	history, problems, err := LoadHistory(l)
	if err != nil || len(problems) != 0 {
		t.Fatalf("LoadHistory: %v %v", err, problems)
	}
	h := history["redmi"]
	if len(h) != 2 || h[0].Item("a").Quota != 5 || h[1].Item("b").Stock != 8 || h[0].TimeUnixNano != t0.UnixNano() {
		t.Fatalf("history does not hold the changes: %+v", h)
	}
}

// TestReservationsRoundTrip covers lists of different shapes, including uid
// 0, huge gaps and one large enough for the radix sort.
func TestReservationsRoundTrip(t *testing.T) {
	big := make([]uint64, 100_000)
	for i := range big {
		big[i] = uint64(i)*7919 + 3
	}
	for name, uids := range map[string][]uint64{
		"empty": {}, "zero": {0}, "extremes": {0, 1, 1<<64 - 1}, "big": big,
	} {
		t.Run(name, func(t *testing.T) {
			l := openStore(t)
			set := uidset.FromSlice(append([]uint64(nil), uids...))
			if err := StoreReservations(l, set); err != nil {
				t.Fatal(err)
			}
			d := set.Digest()
			got, err := LoadReservations(l, hex.EncodeToString(d[:]))
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != set.Len() || got.Digest() != d {
				t.Fatalf("loaded %d uids, want %d", got.Len(), set.Len())
			}
		})
	}
}

// TestReservationsTampered: a list that does not hash to the digest it is
// stored under, or does not decode, or is missing, is refused.
func TestReservationsTampered(t *testing.T) {
	l := openStore(t)
	set := uidset.FromSlice([]uint64{1, 2, 3})
	d := set.Digest()
	digest := hex.EncodeToString(d[:])
	tests := []struct {
		name  string
		value []byte
	}{
		{"other list", encodeUIDs([]uint64{1, 2, 4})},
		{"not zstd", []byte("1\n2\n3\n")},
		{"duplicate uid", encodeUIDs([]uint64{1, 2, 2})},
		{"count beyond data", encodeUIDs([]uint64{1, 2, 3})[:0]},
	}
	for _, tc := range tests {
		if err := l.PutMeta(resvKey(digest), tc.value); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadReservations(l, digest); !errors.Is(err, ErrReservations) {
			t.Errorf("%s: LoadReservations = %v, want ErrReservations", tc.name, err)
		}
	}
	if _, err := LoadReservations(l, strings.Repeat("00", 32)); !errors.Is(err, ErrReservations) {
		t.Errorf("missing: %v", err)
	}
}

func TestLoadHistoryProblems(t *testing.T) {
	l := openStore(t)
	good := testConfig(time.Unix(100, 0))
	rec, _ := NewRecorder(l)
	if _, err := rec.Record(good); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"audit.config/redmi/0000000000000002": "{not json",
		"audit.config/other/0000000000000001": `{"version":1,"activity":"redmi"}`,
		"audit.config/redmi/2":                `{}`,
		"audit.config/x/0000000000000001":     `{"version":9,"activity":"x"}`,
	}
	for k, v := range bad {
		if err := l.PutMeta(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	history, problems, err := LoadHistory(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(history["redmi"]) != 1 || len(problems) != len(bad) {
		t.Fatalf("history %d records, problems %v", len(history["redmi"]), problems)
	}
	// A restart after an undecodable latest record writes a fresh one after it.
	rec, _ = NewRecorder(l)
	if wrote, err := rec.Record(good); err != nil || !wrote || good.Seq != 3 {
		t.Fatalf("Record after a bad latest record: wrote %v seq %d err %v", wrote, good.Seq, err)
	}
}
