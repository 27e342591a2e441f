package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"seckill/internal/app/server"
	"seckill/internal/cluster"
	"seckill/internal/config"
	"seckill/internal/handoff/export"
	"seckill/internal/handoff/push"
	"seckill/wal"
)

// pauseEnv names the test hook of the crash tests: when it holds an export
// stage ("intent", "writing", "renamed", "manifest"), `seckill export -out`
// stops there for good, so a test can kill -9 it at that exact point.
const pauseEnv = "SECKILL_EXPORT_TEST_PAUSE"

// errGaveUp reports a re-push that left records failed.
var errGaveUp = errors.New("export: some records were not delivered")

// exportRequest is what one `seckill export` asks for.
type exportRequest struct {
	out, format, cursor string
	all                 bool
	pushURL             string
}

// exportCmd is `seckill export`: the winners file (-out) or a re-push of
// the records to the mall (-push). On a stopped engine it opens the store
// itself; while an engine serves the store (which Pebble locks to one
// process) it asks that engine through its admin API, with the admin token.
func exportCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ExitOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML configuration `file`: data_dir, admin_listen, [admin] and [export] come from it")
	var dataDirs dirList
	fs.Var(&dataDirs, "data", "the store `dir`ectory (default: the config's data_dir, else "+config.DefaultDataDir+"); repeat it, or give a comma-separated list, to export the stores of a cluster's nodes as one file (-out with -all)")
	clusterPath := fs.String("cluster", "", "export the stores of every node of this cluster `file` as one file (-out with -all); its [export] dir is the default -dir")
	dir := fs.String("dir", "", "the export `dir`ectory, stopped engine only (default: the config's [export] dir, else "+config.DefaultExportDir+")")
	var req exportRequest
	fs.StringVar(&req.out, "out", "", "write the winners to `NAME`, a bare file name in the export directory (.zst at the end: zstd); NAME.manifest.json describes it")
	fs.StringVar(&req.format, "format", "", "`jsonl` or csv (default: csv for a .csv or .csv.zst NAME, else jsonl)")
	fs.StringVar(&req.cursor, "cursor", export.DefaultCursor, "the `name`d cursor an incremental export reads and moves; give an ad-hoc export its own so it takes nothing from the nightly files")
	fs.BoolVar(&req.all, "all", false, "-out: every winner, no cursor read or moved; -push: re-push every record, not only the failed ones")
	fs.StringVar(&req.pushURL, "push", "", "re-push the records parked as failed (every record with -all), and the pending ones, to the mall at `URL`")
	fs.Parse(args)
	if fs.NArg() > 0 || (req.out == "") == (req.pushURL == "") {
		fmt.Fprintln(stderr, "usage: seckill export [-config FILE] [-data DIR] [-dir DIR] -out NAME [-format jsonl|csv] [-all | -cursor NAME]")
		fmt.Fprintln(stderr, "       seckill export [-config FILE] [-data DIR] -push URL [-all]")
		os.Exit(2)
	}
	cfg := &config.Config{}
	cfg.EnsureDefaults()
	switch {
	case *configPath != "" && *clusterPath != "":
		return errors.New("export: give -config or -cluster, not both")
	case *configPath != "":
		var err error
		if cfg, err = config.Load(*configPath, time.Now()); err != nil {
			return err
		}
	case *clusterPath != "":
		c, err := cluster.Load(*clusterPath, time.Now())
		if err != nil {
			return err
		}
		cfg, dataDirs = c.Shared, append(dataDirs, c.DataDirs()...)
	}
	if len(dataDirs) > 1 {
		return exportCombined(cfg, dataDirs, *dir, req, stdout, stderr)
	}
	if len(dataDirs) == 1 {
		cfg.Server.DataDir = dataDirs[0]
	}
	if err := export.CheckStoreDir(cfg.Server.DataDir); err != nil {
		return err
	}
	log, err := wal.Open(cfg.Server.DataDir, wal.Options{})
	if errors.Is(err, wal.ErrLocked) {
		if *dir != "" {
			return fmt.Errorf("export: -dir: the running engine writes to its own [export] dir; leave -dir out")
		}
		return viaAdmin(cfg, req, stdout)
	}
	if err != nil {
		return err
	}
	defer log.Close()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if req.pushURL != "" {
		return repush(log, cfg.Export, req.pushURL, req.all, logger, stdout)
	}
	exportDir := cfg.Export.Dir
	if *dir != "" {
		exportDir = *dir
	}
	ex, err := export.New(log, exportDir, cfg.Server.DataDir, logger)
	if err != nil {
		return err
	}
	return exportFile(ex, req, logger, stdout, stderr)
}

func exportFile(ex *export.Exporter, req exportRequest, logger *slog.Logger, stdout, stderr io.Writer) error {
	opts := export.Options{Out: req.out, Format: export.FormatFor(req.out, req.format), All: req.all, Cursor: req.cursor}
	if stage := os.Getenv(pauseEnv); stage != "" {
		opts.Pause = func(s string) {
			if s == stage {
				fmt.Fprintf(stderr, "seckill: export paused at %s (%s)\n", s, pauseEnv)
				select {}
			}
		}
	}
	start := time.Now()
	m, err := ex.Run(opts)
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "exported %d winners to %s/%s (%s, %s, %d bytes, sha256 %s) in %v, %.0f records/s; manifest %s\n",
		m.Count, ex.Dir(), m.File, m.Format, m.Compression, m.Bytes, m.SHA256, took.Round(time.Millisecond),
		float64(m.Count)/took.Seconds(), m.File+export.ManifestSuffix)
	return nil
}

// repush re-pushes from a stopped engine's store, signed with the
// configuration's push secret.
func repush(log *wal.Log, ec config.Export, url string, all bool, logger *slog.Logger, stdout io.Writer) error {
	if len(ec.PushSecretBytes) == 0 {
		return fmt.Errorf("export -push: export.push_secret (or export.push_secret_file) is required: it signs each batch; give -config")
	}
	ec.PushURL = url
	opts := server.PushOptions(ec)
	opts.Logger = logger
	p, err := push.New(log, opts)
	if err != nil {
		return err
	}
	scope := push.ScopeFailed
	if all {
		scope = push.ScopeAll
	}
	n, err := p.Requeue(scope)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := p.Drain(ctx)
	fmt.Fprintf(stdout, "re-pushed %s (%d records queued): %d delivered, %d failed again after %d attempts\n",
		scope, n, rep.Delivered, rep.GaveUp, opts.MaxAttempts)
	if err != nil {
		return err
	}
	if rep.GaveUp > 0 {
		return fmt.Errorf("%w: %d are parked as failed; run this again once the mall is fixed", errGaveUp, rep.GaveUp)
	}
	return nil
}
