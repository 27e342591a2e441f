package netpoll

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// gnetLogger routes gnet's own log lines through the engine's slog.Logger,
// so that every line of the process has one format and one level filter.
// gnet's Info lines (the engine's launch banner) are logged at Debug: they
// say nothing an operator needs that the engine's "serving" line does not.
// Fatalf does not exit: gnet only calls it on BSD when it cannot create its
// wakeup pipe, and the engine decides itself what is fatal.
type gnetLogger struct{ l *slog.Logger }

var _ logging.Logger = gnetLogger{}

func (g gnetLogger) Debugf(format string, args ...any) { g.log(slog.LevelDebug, format, args) }
func (g gnetLogger) Infof(format string, args ...any)  { g.log(slog.LevelDebug, format, args) }
func (g gnetLogger) Warnf(format string, args ...any)  { g.log(slog.LevelWarn, format, args) }
func (g gnetLogger) Errorf(format string, args ...any) { g.log(slog.LevelError, format, args) }
func (g gnetLogger) Fatalf(format string, args ...any) { g.log(slog.LevelError, format, args) }

// log formats only when the level is enabled, and reports gnet's caller as
// the line's source.
func (g gnetLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !g.l.Enabled(ctx, level) {
		return
	}
	var pcs [1]uintptr
	runtime.Callers(3, pcs[:])
	r := slog.NewRecord(time.Now(), level, fmt.Sprintf(format, args...), pcs[0])
	r.AddAttrs(slog.String("component", "gnet"))
	_ = g.l.Handler().Handle(ctx, r)
}
