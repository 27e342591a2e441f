package cluster

import (
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary files: it never panics, and a file it
// accepts gives every node a valid config, one node per SKU in Owners,
// and a gateway config that names every node's upstream. The valid files
// it is seeded with must keep parsing: a change that makes Parse refuse
// them fails here instead of passing as a rejected input.
func FuzzParse(f *testing.F) {
	valid := map[string]bool{
		twoNodes: true,
		// activity "three" on node a instead of b
		strings.NewReplacer(`activities = ["one"]`, `activities = ["one", "three"]`,
			`activities = ["two", "three"]`, `activities = ["two"]`).Replace(twoNodes): true,
	}
	for file := range valid {
		f.Add([]byte(file))
	}
	f.Add([]byte("[[node]]\nname = \"a\"\n[gateway]\nlisten = \"x\"\n"))
	f.Add([]byte("[server]\nlisten = 1\n"))
	dir := f.TempDir() // relative files (secret_file, ...) are looked for, never found, here
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, dir, now)
		if err != nil {
			if valid[string(data)] {
				t.Fatalf("a valid seed file no longer parses: %v", err)
			}
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
