package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"seckill/internal/cluster"
)

// gatewayCmd is `seckill gateway -cluster FILE [-out FILE] [-standalone]`:
// it writes the nginx configuration of the cluster's gateway, to stdout or
// atomically to -out (a temporary file renamed into place, so a running
// nginx's `nginx -s reload` never reads half a file).
func gatewayCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway", flag.ExitOnError)
	fs.SetOutput(stderr)
	clusterPath := fs.String("cluster", "", "the cluster `file` (required)")
	out := fs.String("out", "", "write to this `file` instead of stdout")
	standalone := fs.Bool("standalone", false, "write a whole nginx.conf (for nginx -p PREFIX -c FILE) instead of a file for nginx's http context (/etc/nginx/conf.d/)")
	fs.Parse(args)
	if *clusterPath == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: seckill gateway -cluster FILE [-out FILE] [-standalone]")
		os.Exit(2)
	}
	c, err := cluster.Load(*clusterPath, time.Now())
	if err != nil {
		return err
	}
	conf := c.Nginx()
	if *standalone {
		conf = c.NginxStandalone()
	}
	if *out == "" {
		_, err := stdout.Write(conf)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*.tmp")
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if _, err := tmp.Write(conf); err != nil {
		tmp.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	fmt.Fprintf(stderr, "wrote the gateway of %d nodes and %d SKUs to %s; check it with nginx -t\n", len(c.Nodes), len(c.Owners()), *out)
	return nil
}
