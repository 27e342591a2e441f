package config

import (
	"bytes"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDemoIsValid(t *testing.T) {
	c := Demo(testNow)
	if c.Auth.Mode != AuthNone {
		t.Errorf("auth.mode = %q; want %q", c.Auth.Mode, AuthNone)
	}
	if len(c.Activities) != 1 {
		t.Fatalf("got %d activities; want 1", len(c.Activities))
	}
	a := c.Activities[0]
	if !a.StartTime.Equal(testNow) || !a.EndTime.Equal(testNow.Add(24*time.Hour)) {
		t.Errorf("window [%v, %v); want [now, now+24h)", a.StartTime, a.EndTime)
	}
	wantSKUs := []string{"phone-1", "phone-2", "band-1"}
	if len(a.Items) != len(wantSKUs) {
		t.Fatalf("got %d items; want %d", len(a.Items), len(wantSKUs))
	}
	for i, sku := range wantSKUs {
		if a.Items[i].SKU != sku {
			t.Errorf("item[%d].sku = %q; want %q", i, a.Items[i].SKU, sku)
		}
	}
	if c.Server.Listen != "127.0.0.1:8080" || c.Server.AdminListen != "127.0.0.1:8081" {
		t.Errorf("listeners %q, %q", c.Server.Listen, c.Server.AdminListen)
	}
}

func TestExampleLoads(t *testing.T) {
	c, err := Load("example.toml", testNow)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Activities[0]
	if a.ReservationsFile != "reserved.txt" {
		t.Errorf("reservations_file = %q; want reserved.txt resolved against the config's directory", a.ReservationsFile)
	}
	if got, want := a.Items[1].Quota(), int64(400); got != want {
		t.Errorf("item[1].Quota() = %d; want %d", got, want)
	}
	// The seed's admin screen: 300 % cart percentage and a waitlist.
	if got, want := a.Items[0].Quota(), int64(3000); got != want || a.Items[0].Waitlist != 50 {
		t.Errorf("item[0].Quota() = %d, waitlist %d; want %d, 50", got, a.Items[0].Waitlist, want)
	}
	if got := c.Blocklist.ParsedAddrs; len(got) != 2 {
		t.Errorf("blocklist addrs = %v", got)
	}
}

func TestLoadResolvesPathsAgainstConfigDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "key"), "0123456789abcdef0123456789abcdef\r\n")
	writeFile(t, filepath.Join(dir, "uids.txt"), "1\n")
	writeFile(t, filepath.Join(dir, "seckill.toml"), `
[auth]
secret_file = "key"
[[activity]]
id = "a1"
start = "now"
end = "+1h"
reservation = "required"
reservations_file = "uids.txt"
  [[activity.item]]
  sku = "s1"
  stock = 1
`)
	c, err := Load(filepath.Join(dir, "seckill.toml"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Auth.SecretBytes, []byte("0123456789abcdef0123456789abcdef")) {
		t.Errorf("secret = %q; want the file's content without its line ending", c.Auth.SecretBytes)
	}
	if got, want := c.Activities[0].ReservationsFile, filepath.Join(dir, "uids.txt"); got != want {
		t.Errorf("reservations_file = %q; want %q", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "absent.toml"), testNow); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v; want a not-exist error", err)
	}
}

func TestActivityTimes(t *testing.T) {
	tests := []struct {
		name, start, end   string
		wantStart, wantEnd time.Time
	}{
		{"now and relative", "now", "+2h", testNow, testNow.Add(2 * time.Hour)},
		{"absolute and relative", "2021-01-12T12:00:00+05:30", "+90m",
			time.Date(2021, 1, 12, 6, 30, 0, 0, time.UTC), time.Date(2021, 1, 12, 8, 0, 0, 0, time.UTC)},
		{"now and absolute", "now", "2021-01-13T00:00:00Z", testNow, time.Date(2021, 1, 13, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toml := validAuth + "[[activity]]\nid = \"a\"\nstart = \"" + tt.start + "\"\nend = \"" + tt.end +
				"\"\n[[activity.item]]\nsku = \"s\"\nstock = 1\n"
			c, err := Parse([]byte(toml), ".", testNow)
			if err != nil {
				t.Fatal(err)
			}
			a := c.Activities[0]
			if !a.StartTime.Equal(tt.wantStart) || !a.EndTime.Equal(tt.wantEnd) {
				t.Errorf("window [%v, %v); want [%v, %v)", a.StartTime, a.EndTime, tt.wantStart, tt.wantEnd)
			}
		})
	}
}

func TestBlocklistAddrsAreUnmapped(t *testing.T) {
	toml := validAuth + "[blocklist]\nuids = [7]\naddrs = [\"::ffff:1.2.3.4\", \" 2001:db8::1 \"]\n" + validActivity
	c, err := Parse([]byte(toml), ".", testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Addr{netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("2001:db8::1")}
	if len(c.Blocklist.ParsedAddrs) != len(want) {
		t.Fatalf("got %v; want %v", c.Blocklist.ParsedAddrs, want)
	}
	for i := range want {
		if c.Blocklist.ParsedAddrs[i] != want[i] {
			t.Errorf("addr[%d] = %v; want %v", i, c.Blocklist.ParsedAddrs[i], want[i])
		}
	}
	if len(c.Blocklist.UIDs) != 1 || c.Blocklist.UIDs[0] != 7 {
		t.Errorf("uids = %v", c.Blocklist.UIDs)
	}
}

func TestEnsureDefaults(t *testing.T) {
	c := &Config{Activities: []Activity{{Items: []Item{{}}}}}
	c.Auth.Secret = "0123456789abcdef"
	c.EnsureDefaults()
	s := c.Server
	if s.Listen != DefaultListen || s.AdminListen != "" || s.DataDir != DefaultDataDir ||
		s.ReadBuffer != DefaultReadBuffer || s.IdleTimeout != DefaultIdleTimeout || s.MaxConnections != 0 ||
		s.BatchMax != DefaultBatchMax || s.ShutdownTimeout != DefaultShutdownTimeout ||
		s.RetryAfter != DefaultRetryAfter || s.FrontEnd != DefaultFrontEnd {
		t.Errorf("server defaults: %+v", s)
	}
	if c.Auth.Mode != DefaultAuthMode || c.Auth.TokenMaxTTL != DefaultTokenMaxTTL || string(c.Auth.SecretBytes) != c.Auth.Secret {
		t.Errorf("auth defaults: %+v", c.Auth)
	}
	if e := c.Export; e.PushURL != "" || e.PushBatch != DefaultPushBatch || e.PushTimeout != DefaultPushTimeout ||
		e.PushMaxAttempts != DefaultPushMaxAttempts || e.PushBackoff != DefaultPushBackoff || e.PushBackoffMax != DefaultPushBackoffMax {
		t.Errorf("export defaults: %+v", e)
	}
	a := c.Activities[0]
	if a.Reservation != DefaultReservation || a.Limit != DefaultLimit || a.Queue != DefaultQueue ||
		a.FailText != DefaultFailText || a.Items[0].QuotaPercent != DefaultQuotaPercent {
		t.Errorf("activity defaults: %+v", a)
	}
}

func TestItemQuota(t *testing.T) {
	tests := []struct {
		stock   int64
		percent int
		want    int64
	}{
		{1000, 100, 1000},
		{1000, 1, 10},
		{3, 50, 1},
		{1, 99, 0},
		{100_000_000, 100, 100_000_000},
		{10, 300, 30},
		{1, 150, 1},
		{100_000_000, 1000, 1_000_000_000},
	}
	for _, tt := range tests {
		if got := (Item{Stock: tt.stock, QuotaPercent: tt.percent}).Quota(); got != tt.want {
			t.Errorf("Quota(stock %d, %d%%) = %d; want %d", tt.stock, tt.percent, got, tt.want)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
