package server

import (
	"log/slog"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/internal/config"
	"seckill/wal"
)

// OpenSlowSync is Open over a store whose every sync of a WAL file takes
// delay longer, as on a slow disk. It is the hook of the process-level
// shutdown test (cmd/seckill, SECKILL_SERVE_TEST_SLOW_SYNC): attempts queue
// behind the group commits, so that a SIGTERM meets many in flight. The
// store, its WAL and Pebble are the real ones; only time is added.
func OpenSlowSync(cfg *config.Config, log *slog.Logger, delay time.Duration) (*Server, error) {
	fs := errorfs.Wrap(vfs.Default, slowSync(delay))
	return openWith(cfg, log, wal.Options{Logger: pebbleLogger{log}, FS: fs})
}

// slowSync is an errorfs injector that injects no error: it sleeps before
// each sync of a WAL file.
type slowSync time.Duration

func (d slowSync) String() string { return "slowSync(" + time.Duration(d).String() + ")" }

func (d slowSync) MaybeError(op errorfs.Op) error {
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		if strings.HasSuffix(op.Path, ".log") {
			time.Sleep(time.Duration(d))
		}
	}
	return nil
}
