package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"seckill/internal/app/adminclient"
	"seckill/internal/config"
	"seckill/internal/handoff/export"
	"seckill/internal/handoff/push"
	"seckill/wal"
)

// viaAdmin does req through the admin API of the engine that holds the
// store: POST /admin/export or POST /admin/push?requeue=…, authenticated
// with the bearer token of [admin] token / token_file, else the one the
// engine wrote to <data_dir>/admin.token.
func viaAdmin(cfg *config.Config, req exportRequest, stdout io.Writer) error {
	inUse := fmt.Errorf("the store %s is in use by a running engine (%w)", cfg.Server.DataDir, wal.ErrLocked)
	c, err := adminclient.New(cfg)
	if err != nil {
		return fmt.Errorf("%w; export goes through its admin API, which needs server.admin_listen and the token (give -config with the engine's configuration): %w", inUse, err)
	}
	var target string
	if req.out != "" {
		q := url.Values{"out": {req.out}}
		if req.format != "" {
			q.Set("format", req.format)
		}
		if req.all {
			q.Set("all", "1")
		} else {
			q.Set("cursor", req.cursor)
		}
		target = "/admin/export?" + q.Encode()
	} else {
		scope := push.ScopeFailed
		if req.all {
			scope = push.ScopeAll
		}
		target = "/admin/push?requeue=" + scope
	}
	status, body, err := c.Do(context.Background(), http.MethodPost, target, nil)
	if err != nil {
		return fmt.Errorf("%w; through its admin API: %w", inUse, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("%w; through its admin API: POST %s: %d %s: %s", inUse, target, status, http.StatusText(status), bytes.TrimSpace(body))
	}
	if req.out == "" {
		fmt.Fprintf(stdout, "the running engine re-queued records for its own push_url (not %s): %s\n", req.pushURL, bytes.TrimSpace(body))
		return nil
	}
	var m export.Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("export: admin answer: %w", err)
	}
	fmt.Fprintf(stdout, "the running engine exported %d winners to %s in its export directory (%s, %s, %d bytes, sha256 %s); manifest %s\n",
		m.Count, m.File, m.Format, m.Compression, m.Bytes, m.SHA256, m.File+export.ManifestSuffix)
	return nil
}
