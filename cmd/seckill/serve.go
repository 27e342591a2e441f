package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/signal"
	"syscall"
	"time"

	"seckill/internal/cluster"
	"seckill/internal/config"
)

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	configPath := fs.String("config", "", "TOML configuration `file`; without it, the embedded demo config")
	clusterPath := fs.String("cluster", "", "run one node of this cluster `file` (with -node) instead of -config")
	node := fs.String("node", "", "the `name` of the [[node]] of -cluster to run")
	frontEnd := fs.String("front-end", "", "override server.front_end: `netpoll`, nethttp or floor (the latter two for benchmarks)")
	var lf logFlags
	lf.register(fs)
	fs.Parse(args)

	logger, err := lf.newLogger(os.Stderr)
	if err != nil {
		return err
	}
	load, err := serveSource(*configPath, *clusterPath, *node)
	if err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	if err := overrideFrontEnd(cfg, *frontEnd); err != nil {
		return err
	}
	if *clusterPath != "" {
		logger.Info("running one node of a cluster", "cluster", *clusterPath, "node", *node, "listen", cfg.Server.Listen, "data_dir", cfg.Server.DataDir)
	} else if *configPath == "" {
		logger.Info("no -config given: running the embedded demo config", "data_dir", cfg.Server.DataDir)
	}
	srv, err := openServer(cfg, logger)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	reloadOnHangup(ctx, srv, *configPath+*clusterPath, load, logger)
	return srv.Run(ctx, nil)
}

// serveSource returns what reads the configuration serve runs (at start and
// on SIGHUP): the -config file, one node of the -cluster file, or, with
// neither, the embedded demo.
func serveSource(configPath, clusterPath, node string) (func() (*config.Config, error), error) {
	switch {
	case clusterPath == "" && node == "":
		return func() (*config.Config, error) { return loadConfig(configPath) }, nil
	case configPath != "":
		return nil, errors.New("serve: give -config or -cluster, not both")
	case clusterPath == "" || node == "":
		return nil, errors.New("serve: -cluster and -node go together")
	}
	return func() (*config.Config, error) {
		c, err := cluster.Load(clusterPath, time.Now())
		if err != nil {
			return nil, err
		}
		return c.NodeConfig(node)
	}, nil
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Demo(time.Now()), nil
	}
	return config.Load(path, time.Now())
}
