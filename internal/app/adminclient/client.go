// Package adminclient is how commands talk to a running engine's admin API
// (package admin): it finds the admin address and the bearer token from the
// engine's configuration — [admin] token or token_file, or else the token
// the engine generated into <data_dir>/admin.token at its start — and sends
// requests with "Authorization: Bearer TOKEN".
//
//	c, err := adminclient.New(cfg)
//	status, body, err := c.Do(ctx, "POST", "/admin/export?out=nightly.jsonl", nil)
package adminclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	"seckill/internal/config"
)

// ErrNoAdmin reports a configuration whose engine has no admin API.
var ErrNoAdmin = errors.New("adminclient: server.admin_listen is empty: the engine has no admin API")

// ErrToken reports a token that could not be read.
var ErrToken = errors.New("adminclient: admin token")

// maxAnswerBytes bounds an answer read into memory: the largest admin
// answers (stats of thousands of SKUs, an export manifest) are kilobytes.
const maxAnswerBytes = 64 << 20

// Client sends authenticated requests to one engine's admin API.
type Client struct {
	// Addr is the admin listener, host:port.
	Addr string
	// Token is the bearer token.
	Token string
	// HTTP is the client used; its Timeout bounds each request.
	HTTP *http.Client
}

// defaultTimeout bounds one admin request: an export of a day's winners
// takes seconds; a CPU profile 30.
const defaultTimeout = 5 * time.Minute

// New returns a client for the engine cfg configures. A listener on every
// interface (0.0.0.0, ::) is reached over loopback.
func New(cfg *config.Config) (*Client, error) {
	if cfg.Server.AdminListen == "" {
		return nil, ErrNoAdmin
	}
	token := string(cfg.Admin.TokenBytes)
	if token == "" {
		var err error
		if token, err = ReadToken(cfg.AdminTokenPath()); err != nil {
			return nil, err
		}
	}
	return &Client{Addr: dialAddr(cfg.Server.AdminListen), Token: token, HTTP: &http.Client{Timeout: defaultTimeout}}, nil
}

// ReadToken reads a token file, without its trailing newline.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w (is the engine running? it writes the file at start when [admin] sets no token)", ErrToken, err)
	}
	token := string(bytes.TrimRight(b, "\r\n"))
	if token == "" {
		return "", fmt.Errorf("%w: %s is empty", ErrToken, path)
	}
	return token, nil
}

func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return listen
}

// Do sends method target (a path with its query) with body, and returns the
// answer's status and body.
func (c *Client) Do(ctx context.Context, method, target string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+c.Addr+target, body)
	if err != nil {
		return 0, nil, fmt.Errorf("adminclient: %s %s: %w", method, target, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("adminclient: %s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return resp.StatusCode, b, fmt.Errorf("adminclient: %s %s: read answer: %w", method, target, err)
	}
	return resp.StatusCode, b, nil
}
