package cluster

import (
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary files: it never panics, and a file it
// accepts gives every node a valid config, one node per SKU in Owners,
// and a gateway config that names every node's upstream.
func FuzzParse(f *testing.F) {
	f.Add([]byte(twoNodes))
	f.Add([]byte(strings.Replace(twoNodes, `activities = ["two", "three"]`, `activities = ["two"]`, 1)))
	f.Add([]byte("[[node]]\nname = \"a\"\n[gateway]\nlisten = \"x\"\n"))
	f.Add([]byte("[server]\nlisten = 1\n"))
	dir := f.TempDir() // relative files (secret_file, ...) are looked for, never found, here
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, dir, now)
		if err != nil {
			return
		}
		conf := string(c.NginxStandalone())
		for _, n := range c.Nodes {
			cfg, err := c.NodeConfig(n.Name)
			if err != nil {
				t.Fatalf("node %s of an accepted file: %v", n.Name, err)
			}
			if len(cfg.Activities) != len(n.Activities) {
				t.Fatalf("node %s runs %d activities, owns %d", n.Name, len(cfg.Activities), len(n.Activities))
			}
			if !strings.Contains(conf, "upstream "+upstreamPrefix+n.Name+" {") {
				t.Fatalf("no upstream for node %s:\n%s", n.Name, conf)
			}
		}
		seen := map[string]bool{}
		for _, o := range c.Owners() {
			if seen[o.SKU] || o.Node == "" {
				t.Fatalf("Owners: %v", c.Owners())
			}
			seen[o.SKU] = true
		}
	})
}
