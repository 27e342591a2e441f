package server

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
	"seckill/internal/config"
	"seckill/internal/testkit/httpget"
	"seckill/wal"
)

const recoveryConfig = `
[server]
listen = "LISTEN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "none"
[[activity]]
id = "rec"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "r"
  stock = 5
`

// TestRecoveryResumesAndRefusesTampering: a restart resumes the sale where
// it stopped (no unit sold twice, no user twice), and a store whose chain no
// longer verifies is refused at start rather than served.
func TestRecoveryResumesAndRefusesTampering(t *testing.T) {
	dir := t.TempDir()
	addr, stop := startServer(t, recoveryConfig, dir)
	for uid := 1; uid <= 3; uid++ {
		resp, err := httpget.Get(addr, "/buy?sku=r&uid="+strconv.Itoa(uid), 5*time.Second)
		if err != nil || resp.Status != 200 {
			t.Fatalf("buy %d: %v %+v", uid, err, resp)
		}
	}
	stop()

	addr, stop = startServer(t, recoveryConfig, dir)
	resp, _ := httpget.Get(addr, "/buy?sku=r&uid=2", 5*time.Second)
	if !strings.Contains(string(resp.Body), `"already_won"`) || !strings.Contains(string(resp.Body), `"seq":2`) {
		t.Fatalf("winner after restart: %s", resp.Body)
	}
	resp, _ = httpget.Get(addr, "/buy?sku=r&uid=9", 5*time.Second)
	if !strings.Contains(string(resp.Body), `"seq":4`) {
		t.Fatalf("next win after restart: %s", resp.Body)
	}
	stop()

	// Flip one byte of the uid of seq 2, behind the engine's back.
	data := filepath.Join(dir, "data")
	db, err := pebble.Open(data, &pebble.Options{Logger: wal.DefaultLogger})
	if err != nil {
		t.Fatal(err)
	}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte("w"), UpperBound: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	var key, value []byte
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.HasSuffix(it.Key(), []byte{0, 0, 0, 0, 0, 0, 0, 2}) {
			key, value = bytes.Clone(it.Key()), bytes.Clone(it.Value())
		}
	}
	it.Close()
	if key == nil {
		t.Fatal("seq 2 not found")
	}
	value[2+8+7] ^= 1 // the low byte of the uid
	if err := db.Set(key, value, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cfg, err := config.Parse([]byte(strings.NewReplacer("LISTEN", freeAddr(t), "DATADIR", data).Replace(recoveryConfig)), dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		srv.store.Close()
		t.Fatal("a tampered store was served")
	}
	if !errors.Is(err, engine.ErrChainBroken) {
		t.Fatalf("want a chain error, got %v", err)
	}
}
