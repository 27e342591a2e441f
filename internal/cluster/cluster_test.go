package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"seckill/internal/config"
	"seckill/internal/testkit/testcert"
	"seckill/internal/testkit/tools"
)

var now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// twoNodes is a valid cluster: node a sells activity one (SKUs x, y),
// node b sells two (SKU z) and three (SKU x2).
const twoNodes = `
[server]
drain_delay = "0s"
trusted_proxies = ["10.0.1.0/24"]
[auth]
secret = "0123456789abcdef0123456789abcdef"

[gateway]
listen = "0.0.0.0:443"

[[node]]
name = "a"
listen = "10.0.0.5:8080"
admin_listen = "127.0.0.1:8081"
data_dir = "/var/lib/seckill/a"
activities = ["one"]

[[node]]
name = "b"
listen = "10.0.0.6:8080"
data_dir = "/var/lib/seckill/b"
activities = ["two", "three"]

[[activity]]
id = "one"
start = "2026-12-02T10:00:00Z"
end = "+1h"
limit = "activity"
  [[activity.item]]
  sku = "x"
  stock = 10
  [[activity.item]]
  sku = "y"
  stock = 5
[[activity]]
id = "two"
start = "2026-12-02T10:00:00Z"
end = "+1h"
  [[activity.item]]
  sku = "z"
  stock = 3
[[activity]]
id = "three"
start = "2026-12-02T12:00:00Z"
end = "+1h"
  [[activity.item]]
  sku = "x2"
  stock = 3
`

func TestParseBuildsEachNodesConfig(t *testing.T) {
	c, err := Parse([]byte(twoNodes), t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		node, listen, admin, dataDir string
		activities                   []string
	}{
		{"a", "10.0.0.5:8080", "127.0.0.1:8081", "/var/lib/seckill/a", []string{"one"}},
		{"b", "10.0.0.6:8080", "", "/var/lib/seckill/b", []string{"two", "three"}},
	}
	for _, tt := range tests {
		cfg, err := c.NodeConfig(tt.node)
		if err != nil {
			t.Fatalf("node %s: %v", tt.node, err)
		}
		var ids []string
		for _, a := range cfg.Activities {
			ids = append(ids, a.ID)
		}
		if cfg.Server.Listen != tt.listen || cfg.Server.AdminListen != tt.admin || cfg.Server.DataDir != tt.dataDir || !slices.Equal(ids, tt.activities) {
			t.Errorf("node %s runs listen %q admin %q data %q activities %q; want %q %q %q %q",
				tt.node, cfg.Server.Listen, cfg.Server.AdminListen, cfg.Server.DataDir, ids, tt.listen, tt.admin, tt.dataDir, tt.activities)
		}
		// The shared parts are the same on every node: one token secret.
		if string(cfg.Auth.SecretBytes) != "0123456789abcdef0123456789abcdef" || cfg.Server.TrustedProxies[0] != "10.0.1.0/24" {
			t.Errorf("node %s: shared settings lost: %+v", tt.node, cfg.Auth)
		}
	}
	if _, err := c.NodeConfig("c"); !errors.Is(err, ErrNoNode) {
		t.Errorf("NodeConfig(c) = %v, want ErrNoNode", err)
	}
	want := []Owner{{"x", "a"}, {"x2", "b"}, {"y", "a"}, {"z", "b"}}
	if got := c.Owners(); !slices.Equal(got, want) {
		t.Errorf("Owners() = %v, want %v", got, want)
	}
	if got := c.DataDirs(); !slices.Equal(got, []string{"/var/lib/seckill/a", "/var/lib/seckill/b"}) {
		t.Errorf("DataDirs() = %v", got)
	}
	if c.Gateway.ConnectTimeout != DefaultConnectTimeout || c.Gateway.ReadTimeout != DefaultReadTimeout || c.Gateway.WorkerConnections != DefaultWorkerConnections {
		t.Errorf("gateway defaults not applied: %+v", c.Gateway)
	}
}

// TestParseListsEveryProblem: each broken rule is reported, by its field,
// in one error.
func TestParseListsEveryProblem(t *testing.T) {
	edit := func(pairs ...string) string { return strings.NewReplacer(pairs...).Replace(twoNodes) }
	tests := []struct {
		name string
		file string
		want []string // substrings, each of one problem line
	}{
		{"activity on two nodes", edit(`activities = ["two", "three"]`, `activities = ["two", "three", "one"]`),
			[]string{`node[1].activities: "one" is also on node[0] ("a")`}},
		{"activity on no node", edit(`activities = ["two", "three"]`, `activities = ["two"]`),
			[]string{`activity[2]: "three" is on no node`}},
		{"unknown activity and empty node", edit(`activities = ["one"]`, `activities = []`, `activities = ["two", "three"]`, `activities = ["two", "three", "four", "two"]`),
			[]string{`node[0].activities: empty`, `node[1].activities: "four" is no [[activity]] id`, `node[1].activities: names "two" twice`, `activity[0]: "one" is on no node`}},
		{"SKU on two nodes, in any case", edit(`sku = "z"`, `sku = "X"`),
			[]string{`activity[1].item[0].sku: "X" is on node "b" (activity "two") and "x" on node "a" (activity "one")`}},
		{"per-node server fields in [server]", edit("[server]\n", "[server]\nlisten = \"1.2.3.4:80\"\ndata_dir = \"d\"\nadmin_listen = \"127.0.0.1:1\"\n"),
			[]string{`server.listen: is set per node`, `server.data_dir: is set per node`, `server.admin_listen: is set per node`}},
		{"shared addresses and stores", edit(`10.0.0.6:8080`, `10.0.0.5:8080`, `/var/lib/seckill/b`, `/var/lib/seckill/a/b`, `name = "b"`, `name = "a"`),
			[]string{`node[1].listen: "10.0.0.5:8080" is also node[0].listen`, `node[1].data_dir: "/var/lib/seckill/a/b" overlaps node[0]'s data_dir`, `node[1].name: "a" is also the name of node[0]`}},
		{"wildcard listen, bad name, unknown keys", edit(`10.0.0.6:8080`, `0.0.0.0:8080`, `name = "b"`, `name = "b c"`, "[gateway]\n", "[gateway]\nport = 1\n", `data_dir = "/var/lib/seckill/a"`, "data_dir = \"/var/lib/seckill/a\"\nweight = 2"),
			[]string{`node[1].listen: "0.0.0.0:8080" listens on every interface`, `node[1].name: "b c" may hold only`, `gateway.port: unknown key`, `node.weight: unknown key`}},
		{"node config problems by node field", edit(`admin_listen = "127.0.0.1:8081"`, `admin_listen = "10.0.0.5:8081"`, `listen = "10.0.0.6:8080"`, `listen = "10.0.0.6"`),
			[]string{`node[0]: admin.token: required when server.admin_listen ("10.0.0.5:8081") is not a loopback address`, `node[1].listen: "10.0.0.6" is not host:port`}},
		{"shared config problems, with the config's field names", edit(`stock = 5`, `stock = 0`, `secret = "0123456789abcdef0123456789abcdef"`, `secret = "short"`),
			[]string{`activity[0].item[1].stock`, `auth.secret: is 5 bytes`}},
		{"edge behind an http gateway", edit(`trusted_proxies = ["10.0.1.0/24"]`, "proxy_protocol = false"),
			[]string{`server.trusted_proxies: empty: list the gateway's addresses`}},
		{"proxy protocol", edit("[server]\n", "[server]\nproxy_protocol = true\n"),
			[]string{`server.proxy_protocol: must be false behind the gateway`}},
		{"gateway", edit(`listen = "0.0.0.0:443"`, "listen = \"0.0.0.0:0\"\ntls_certificate = \"nope.pem\"\nconnect_timeout = 5\nworker_connections = 10"),
			[]string{`gateway.listen: "0.0.0.0:0" has no port`, `gateway.tls_certificate: set both`, `gateway.tls_certificate: cannot read`, `gateway.connect_timeout: 5ns is under a millisecond`, `gateway.worker_connections: 10 is outside`}},
		{"no nodes, no gateway", "[auth]\nmode = \"none\"\n[[activity]]\nid = \"a\"\nstart = \"now\"\nend = \"+1h\"\n[[activity.item]]\nsku = \"s\"\nstock = 1\n",
			[]string{`node: at least one [[node]] is required`, `gateway.listen: missing`, `activity[0]: "a" is on no node`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.file), t.TempDir(), now)
			if !errors.Is(err, ErrInvalid) || !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("Parse = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), "\n  "+w) {
					t.Errorf("no problem line %q in:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseSyntaxErrorNamesTheLine(t *testing.T) {
	_, err := Parse([]byte("[server]\ndrain_delay = \n"), ".", now)
	if !errors.Is(err, config.ErrSyntax) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Parse = %v, want ErrSyntax naming line 2", err)
	}
}

// TestNginxConfigIsValid runs nginx -t on both generated forms, with TLS
// and CORS lines, and checks the routes they hold.
func TestNginxConfigIsValid(t *testing.T) {
	nginx := tools.Need(t, "nginx", "nginx")
	dir := t.TempDir()
	cert, _ := testcert.Write(t, dir)
	file := strings.NewReplacer(
		`listen = "0.0.0.0:443"`, "listen = \"127.0.0.1:8443\"\ntls_certificate = \"cert.pem\"\ntls_certificate_key = \"key.pem\"",
		"[server]\n", "[server]\ncors_origins = [\"https://www.example-mall.com\"]\n",
	).Replace(twoNodes)
	c, err := Parse([]byte(file), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	http := string(c.Nginx())
	for _, want := range []string{
		"upstream seckill_a {\n    server 10.0.0.5:8080;\n}",
		"upstream seckill_b {\n    server 10.0.0.6:8080;\n}",
		`"x" seckill_a;`, `"y" seckill_a;`, `"z" seckill_b;`, `"x2" seckill_b;`,
		fmt.Sprintf("listen 127.0.0.1:8443 ssl;\n    ssl_certificate %q;", cert),
		`"https://www.example-mall.com" $http_origin;`,
		"location = /buy {", "location = /stock {", "location = /result {",
	} {
		if !strings.Contains(http, want) {
			t.Errorf("the http-context config lacks %q:\n%s", want, http)
		}
	}
	standalone := c.NginxStandalone()
	if !strings.Contains(string(standalone), http) {
		t.Errorf("the standalone config does not hold the http-context one")
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, standalone, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", conf).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s\n%s", err, out, standalone)
	}
}
