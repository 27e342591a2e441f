package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

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

// exportCmd is `seckill export`: the winners file of a stopped engine
// (-out), or a re-push of its records to the mall (-push).
func exportCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ExitOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML configuration `file`: data_dir, admin_listen and the [export] push settings come from it")
	data := fs.String("data", "", "the store `dir`ectory (default: the config's data_dir, else "+config.DefaultDataDir+")")
	out := fs.String("out", "", "write the winners to `FILE` (.zst at the end: zstd); FILE.manifest.json describes it")
	format := fs.String("format", "", "`jsonl` or csv (default: csv for a .csv or .csv.zst FILE, else jsonl)")
	all := fs.Bool("all", false, "-out: every winner, cursor untouched; -push: re-push every record")
	pushURL := fs.String("push", "", "re-push records to the mall at `URL` (failed ones unless -all; pending ones too)")
	fs.Bool("failed", true, "-push: re-push the records parked as failed; -all widens it to every record")
	fs.Parse(args)
	if fs.NArg() > 0 || (*out == "") == (*pushURL == "") {
		fmt.Fprintln(stderr, "usage: seckill export [-config FILE] [-data DIR] -out FILE [-format jsonl|csv] [-all]")
		fmt.Fprintln(stderr, "       seckill export [-config FILE] [-data DIR] -push URL [-failed | -all]")
		os.Exit(2)
	}
	cfg := &config.Config{}
	cfg.EnsureDefaults()
	if *configPath != "" {
		var err error
		if cfg, err = config.Load(*configPath, time.Now()); err != nil {
			return err
		}
	}
	dir := cfg.Server.DataDir
	if *data != "" {
		dir = *data
	}
	if err := export.CheckStoreDir(dir); err != nil {
		return err
	}
	log, err := wal.Open(dir, wal.Options{})
	if errors.Is(err, wal.ErrLocked) {
		return lockedHelp(dir, cfg.Server.AdminListen, *out, *format, *all)
	}
	if err != nil {
		return err
	}
	defer log.Close()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if *pushURL != "" {
		return repush(log, cfg.Export, *pushURL, *all, logger, stdout)
	}
	return exportFile(log, *out, export.FormatFor(*out, *format), *all, logger, stdout, stderr)
}

func exportFile(log *wal.Log, out, format string, all bool, logger *slog.Logger, stdout, stderr io.Writer) error {
	opts := export.Options{Out: out, Format: format, All: all}
	if stage := os.Getenv(pauseEnv); stage != "" {
		opts.Pause = func(s string) {
			if s == stage {
				fmt.Fprintf(stderr, "seckill: export paused at %s (%s)\n", s, pauseEnv)
				select {}
			}
		}
	}
	start := time.Now()
	m, err := export.New(log, logger).Run(opts)
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "exported %d winners to %s (%s, %s, %d bytes, sha256 %s) in %v, %.0f records/s; manifest %s\n",
		m.Count, out, m.Format, m.Compression, m.Bytes, m.SHA256, took.Round(time.Millisecond),
		float64(m.Count)/took.Seconds(), out+export.ManifestSuffix)
	return nil
}

func repush(log *wal.Log, ec config.Export, url string, all bool, logger *slog.Logger, stdout io.Writer) error {
	opts := push.OptionsFrom(ec)
	opts.URL, opts.Logger = url, logger
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

// lockedHelp explains that a running engine holds the store and how to do
// the same through its admin API.
func lockedHelp(dir, adminListen, out, format string, all bool) error {
	admin := adminListen
	if admin == "" {
		admin = "ADMIN_LISTEN"
	}
	var how string
	if out != "" {
		abs, err := filepath.Abs(out)
		if err != nil {
			abs = out
		}
		q := url.Values{"out": {abs}}
		if format != "" {
			q.Set("format", format)
		}
		if all {
			q.Set("all", "1")
		}
		how = fmt.Sprintf("export through its admin API (the file is written on the engine's machine):\n  curl -XPOST 'http://%s/admin/export?%s'", admin, q.Encode())
	} else {
		scope := push.ScopeFailed
		if all {
			scope = push.ScopeAll
		}
		how = fmt.Sprintf("re-push through its admin API (to its configured push_url):\n  curl -XPOST 'http://%s/admin/push?requeue=%s'", admin, scope)
	}
	if adminListen == "" {
		how += "\n(ADMIN_LISTEN is the engine's server.admin_listen; give -config to fill it in)"
	}
	return fmt.Errorf("the store %s is in use by a running engine (%w); %s", dir, wal.ErrLocked, how)
}
