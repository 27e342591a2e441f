package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"syscall"
	"time"

	"seckill/internal/app/server"
	"seckill/internal/config"
)

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	configPath := fs.String("config", "", "TOML configuration `file`; without it, the embedded demo config")
	frontEnd := fs.String("front-end", "", "override server.front_end: `netpoll`, nethttp or floor (the latter two for benchmarks)")
	var lf logFlags
	lf.register(fs)
	fs.Parse(args)

	logger, err := lf.newLogger(os.Stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if err := overrideFrontEnd(cfg, *frontEnd); err != nil {
		return err
	}
	if *configPath == "" {
		logger.Info("no -config given: running the embedded demo config", "data_dir", cfg.Server.DataDir)
	}
	srv, err := server.Open(cfg, logger)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	reloadOnHangup(ctx, srv, *configPath, logger)
	return srv.Run(ctx, nil)
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Demo(time.Now()), nil
	}
	return config.Load(path, time.Now())
}
