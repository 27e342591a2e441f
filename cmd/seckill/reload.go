package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"seckill/internal/app/server"
	"seckill/internal/config"
)

// reloadOnHangup makes SIGHUP re-read the config file at path (with load:
// a config file, or this node's part of a cluster file) and apply what may
// change live (server.Reload: all of it, or nothing when any change is
// refused), logging what was applied or each refused change by its field,
// instead of ending the process as SIGHUP
// does by default. It registers the signal before returning, so a SIGHUP
// that arrives once serve has started never kills the engine. Without a
// config file (the embedded demo) SIGHUP is ignored with a log line.
func reloadOnHangup(ctx context.Context, srv *server.Server, path string, load func() (*config.Config, error), log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				reload(srv, path, load, log)
			}
		}
	}()
}

func reload(srv *server.Server, path string, load func() (*config.Config, error), log *slog.Logger) {
	if path == "" {
		log.Warn("SIGHUP: no config file to re-read (running the embedded demo config); nothing changed")
		return
	}
	next, err := load()
	if err != nil {
		log.Error("SIGHUP: config file refused; nothing changed", "file", path, "err", err)
		return
	}
	applied, err := srv.Reload(next)
	var refused config.Problems
	switch {
	case errors.As(err, &refused):
		for _, p := range refused {
			log.Warn("SIGHUP: change refused", "field", p.Field, "why", p.Message)
		}
		log.Warn("SIGHUP: changes refused; nothing applied, the engine runs on as before (fix the file and send SIGHUP again)", "file", path, "refused", len(refused))
	case err != nil:
		log.Error("SIGHUP: reload failed part way", "file", path, "applied", applied, "err", err)
	case len(applied) > 0:
		log.Info("SIGHUP: applied", "file", path, "changes", applied)
	default:
		log.Info("SIGHUP: config file re-read; nothing to change", "file", path)
	}
}
