package cluster

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"seckill/internal/config"
)

// Limits the cluster file's validation enforces.
const (
	MaxNameLength        = 64      // node names become nginx upstream names and appear in logs
	MinWorkerConnections = 64      // below this nginx cannot hold even a test's burst
	MaxWorkerConnections = 1 << 20 // a million per worker is past any descriptor limit
)

type problemList struct{ config.Problems }

func (l *problemList) add(field, format string, args ...any) {
	l.Problems = append(l.Problems, config.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// validate checks the cluster's own rules: names, distinct addresses and
// stores, every activity on exactly one node, every SKU on one node, the
// gateway, the edge settings it needs, and each node's whole configuration.
func (c *Cluster) validate() config.Problems {
	var l problemList
	if len(c.Nodes) == 0 {
		l.add("node", "at least one [[node]] is required")
	}
	addrs := map[string]string{} // canonical address -> the field that uses it
	useAddr := func(field, value string) {
		key, ok := canonicalAddr(value)
		if !ok {
			return // the node's config validation reports a malformed address
		}
		if first, taken := addrs[key]; taken {
			l.add(field, "%q is also %s: every listener needs its own address", value, first)
			return
		}
		addrs[key] = field
	}
	names := map[string]int{}
	dirs := map[string]int{}
	for i, n := range c.Nodes {
		f := nodeField(i)
		checkName(&l, f+".name", n.Name)
		if first, dup := names[n.Name]; dup && n.Name != "" {
			l.add(f+".name", "%q is also the name of node[%d]", n.Name, first)
		} else {
			names[n.Name] = i
		}
		if host, _, err := net.SplitHostPort(n.Listen); err == nil {
			if a, err := netip.ParseAddr(host); host == "" || err == nil && a.IsUnspecified() {
				l.add(f+".listen", "%q listens on every interface; write the address the gateway connects to", n.Listen)
			}
		}
		useAddr(f+".listen", n.Listen)
		if n.AdminListen != "" {
			useAddr(f+".admin_listen", n.AdminListen)
		}
		if n.DataDir != "" {
			abs, err := filepath.Abs(n.DataDir)
			if err != nil {
				l.add(f+".data_dir", "%v", err)
				continue
			}
			for other, j := range dirs {
				if inside(abs, other) || inside(other, abs) {
					l.add(f+".data_dir", "%q overlaps node[%d]'s data_dir: every node needs its own store", n.DataDir, j)
				}
			}
			dirs[abs] = i
		}
	}
	c.Gateway.validate(&l, useAddr)
	if c.Shared == nil {
		return l.Problems // the shared configuration's own problems are already listed
	}
	c.validateOwnership(&l)
	c.validateEdge(&l)
	for i := range c.Nodes {
		_, ps := c.nodeConfig(i)
		l.Problems = append(l.Problems, ps...)
	}
	return l.Problems
}

// validateOwnership checks that every activity is on exactly one node, so
// that an activity's limit holds on the node that sells it, and that every
// SKU is sold by one node, because the gateway routes by SKU alone.
func (c *Cluster) validateOwnership(l *problemList) {
	activities := map[string]int{}
	for i, a := range c.Shared.Activities {
		activities[a.ID] = i
	}
	owner := map[string]int{}
	for i, n := range c.Nodes {
		f := nodeField(i) + ".activities"
		if len(n.Activities) == 0 {
			l.add(f, "empty: a node sells at least one activity")
		}
		for _, id := range n.Activities {
			if _, ok := activities[id]; !ok {
				l.add(f, "%q is no [[activity]] id", id)
				continue
			}
			if first, taken := owner[id]; taken {
				if first == i {
					l.add(f, "names %q twice", id)
				} else {
					l.add(f, "%q is also on node[%d] (%q): an activity lives on exactly one node, so its purchase limit is checked in one place", id, first, c.Nodes[first].Name)
				}
				continue
			}
			owner[id] = i
		}
	}
	// The gateway's nginx map matches a SKU without regard to case, so two
	// SKUs that differ only in case must be on one node.
	type seller struct {
		node     int
		activity string
		sku      string
	}
	sellers := map[string]seller{}
	for i, a := range c.Shared.Activities {
		node, ok := owner[a.ID]
		if !ok {
			l.add(fmt.Sprintf("activity[%d]", i), "%q is on no node: name it in one [[node]]'s activities", a.ID)
			continue
		}
		for j, it := range a.Items {
			key := strings.ToLower(it.SKU)
			first, seen := sellers[key]
			if !seen {
				sellers[key] = seller{node, a.ID, it.SKU}
				continue
			}
			if first.node != node {
				l.add(fmt.Sprintf("activity[%d].item[%d].sku", i, j), "%q is on node %q (activity %q) and %q on node %q (activity %q): the gateway routes by SKU, ignoring case, so a SKU belongs to one node",
					it.SKU, c.Nodes[node].Name, a.ID, first.sku, c.Nodes[first.node].Name, first.activity)
			}
		}
	}
}

// validateEdge checks the [server] settings that the gateway needs: it is
// an HTTP proxy, which passes the buyer's address in X-Forwarded-For (its
// http proxy cannot send a PROXY header), and a node believes that header
// only from trusted_proxies.
func (c *Cluster) validateEdge(l *problemList) {
	s := c.Shared.Server
	if s.ProxyProtocol {
		l.add("server.proxy_protocol", "must be false behind the gateway: nginx's http proxy, which routes by SKU, cannot send a PROXY header; the nodes read the buyer's address from X-Forwarded-For")
	}
	if len(s.TrustedProxies) == 0 {
		l.add("server.trusted_proxies", "empty: list the gateway's addresses, or every node sees each buyer as the gateway (per-address rate, blocklist and the winner records' client)")
	}
}

func (g *Gateway) validate(l *problemList, useAddr func(field, value string)) {
	if g.Listen == "" {
		l.add("gateway.listen", "missing: where buyers connect, host:port")
	} else if _, port, err := net.SplitHostPort(g.Listen); err != nil {
		l.add("gateway.listen", "%q is not host:port", g.Listen)
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		l.add("gateway.listen", "%q has no port in [1, 65535]", g.Listen)
	} else {
		useAddr("gateway.listen", g.Listen)
	}
	if (g.TLSCertificate == "") != (g.TLSCertificateKey == "") {
		l.add("gateway.tls_certificate", "set both tls_certificate and tls_certificate_key, or neither")
	}
	for _, tf := range []struct{ field, path string }{
		{"gateway.tls_certificate", g.TLSCertificate},
		{"gateway.tls_certificate_key", g.TLSCertificateKey},
	} {
		field, path := tf.field, tf.path
		if strings.ContainsAny(path, "\"\\\n\r;{}$") {
			l.add(field, "%q holds a character nginx would read as syntax", path)
		} else if _, err := os.Stat(path); path != "" && err != nil {
			l.add(field, "cannot read: %v", err)
		}
	}
	checkTimeout(l, "gateway.connect_timeout", g.ConnectTimeout)
	checkTimeout(l, "gateway.read_timeout", g.ReadTimeout)
	if g.WorkerConnections < MinWorkerConnections || g.WorkerConnections > MaxWorkerConnections {
		l.add("gateway.worker_connections", "%d is outside [%d, %d]", g.WorkerConnections, MinWorkerConnections, MaxWorkerConnections)
	}
}

func checkTimeout(l *problemList, field string, d time.Duration) {
	switch {
	case d < time.Millisecond:
		l.add(field, "%v is under a millisecond; write a unit, e.g. \"1s\"", d)
	case d > MaxTimeout:
		l.add(field, "%v exceeds %v", d, MaxTimeout)
	}
}

// checkName requires 1-64 letters, digits, '_' or '-': a node's name is
// part of an nginx upstream name and of log lines, unquoted.
func checkName(l *problemList, field, name string) {
	switch {
	case name == "":
		l.add(field, "missing")
	case len(name) > MaxNameLength:
		l.add(field, "is %d characters; at most %d", len(name), MaxNameLength)
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "":
		l.add(field, "%q may hold only letters, digits, '_' and '-'", name)
	}
}

// canonicalAddr is host:port with an IP host in its canonical form, so
// that 127.0.0.1:80 and [::ffff:127.0.0.1]:80 count as one address.
func canonicalAddr(hostPort string) (string, bool) {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return "", false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	}
	return net.JoinHostPort(strings.ToLower(host), port), true
}

// inside reports whether path is dir or lies under it.
func inside(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
