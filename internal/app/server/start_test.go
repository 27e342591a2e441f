package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/config"
	"seckill/wal"
)

// TestRunClosesEverythingWhenStartFails: when Run cannot start serving —
// here the descriptor limit cannot be raised, an injected failure since
// the kernel does not refuse it to a test — it returns the error with every
// shard loop finished and the store closed, as after a normal shutdown.
func TestRunClosesEverythingWhenStartFails(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(`
[server]
listen = "`+freeAddr(t)+`"
data_dir = "`+dir+`/data"
drain_delay = "0s"
[auth]
mode = "none"
[[activity]]
id = "a"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "s"
  stock = 3
`), dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	injected := errors.New("injected: setrlimit refused")
	srv.raiseFDLimit = func() (uint64, error) { return 0, injected }
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background(), nil) }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return although it could not start")
	}
	if !errors.Is(err, injected) {
		t.Fatalf("Run: %v, want the injected error", err)
	}
	for i, l := range srv.loops {
		select {
		case <-l.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("shard loop %d still running after Run returned", i)
		}
	}
	if err := srv.store.AppendWins([]engine.Win{{}}); !errors.Is(err, wal.ErrClosed) {
		t.Fatalf("store after Run returned: AppendWins = %v, want %v", err, wal.ErrClosed)
	}
}
