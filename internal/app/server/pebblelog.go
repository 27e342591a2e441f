package server

import (
	"context"
	"fmt"
	"log/slog"
)

// pebbleLogger routes Pebble's log lines through the engine's logger. Its
// Infof lines (flushes, compactions, WAL rotation) go out at Debug: dozens a
// minute under load, and nothing an operator acts on. Fatalf is never
// called by Pebble directly: wal installs its own guard in front of it.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) { p.log(slog.LevelDebug, format, args) }
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.log(slog.LevelError, format, args)
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.log(slog.LevelError, "FATAL: "+format, args)
}

func (p pebbleLogger) log(level slog.Level, format string, args []any) {
	if p.l.Enabled(context.Background(), level) {
		p.l.Log(context.Background(), level, fmt.Sprintf(format, args...), "component", "pebble")
	}
}
