package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"seckill/internal/app/server"
	"seckill/internal/config"
)

// slowSyncEnv names the test hook of the shutdown test: when it holds a
// duration, `seckill serve` opens its store with every WAL sync that much
// slower (server.OpenSlowSync), so that attempts queue behind the commits
// and a SIGTERM meets many in flight. Never set in production.
const slowSyncEnv = "SECKILL_SERVE_TEST_SLOW_SYNC"

// openServer is server.Open, or server.OpenSlowSync under slowSyncEnv.
func openServer(cfg *config.Config, logger *slog.Logger) (*server.Server, error) {
	v := os.Getenv(slowSyncEnv)
	if v == "" {
		return server.Open(cfg, logger)
	}
	delay, err := time.ParseDuration(v)
	if err != nil || delay < 0 {
		return nil, fmt.Errorf("seckill: %s=%q: want a duration", slowSyncEnv, v)
	}
	logger.Warn("TEST HOOK: every WAL sync is slowed down", "env", slowSyncEnv, "delay", delay)
	return server.OpenSlowSync(cfg, logger, delay)
}
