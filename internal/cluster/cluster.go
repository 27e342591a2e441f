package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"seckill/internal/config"
)

// ErrInvalid marks a cluster file that decoded but breaks a rule; the error
// is a config.Problems value listing every broken rule with its field.
var ErrInvalid = errors.New("cluster: invalid cluster file")

// ErrNoNode reports a node name the cluster file does not define.
var ErrNoNode = errors.New("cluster: no such node")

// Cluster is a parsed and validated cluster file: the nodes, the gateway,
// and the configuration they share.
type Cluster struct {
	// Path is the file it was read from ("" when parsed from bytes).
	Path    string
	Nodes   []Node
	Gateway Gateway
	// Shared is the configuration every node runs, with every activity of
	// the cluster; NodeConfig narrows it to one node.
	Shared *config.Config
}

// Node is one engine of the cluster: where it listens, where it keeps its
// store, and which activities (with all their SKUs) it sells.
type Node struct {
	Name        string   `toml:"name"`         // [A-Za-z0-9_-]{1,64}: names the nginx upstream and the process
	Listen      string   `toml:"listen"`       // public listener, host:port, the address the gateway connects to
	AdminListen string   `toml:"admin_listen"` // admin API, host:port; empty = off
	DataDir     string   `toml:"data_dir"`     // the node's own durable store
	Activities  []string `toml:"activities"`   // ids of the [[activity]] tables this node sells
}

// Gateway is the nginx in front of the nodes.
type Gateway struct {
	Listen            string        `toml:"listen"`              // where buyers connect, host:port
	TLSCertificate    string        `toml:"tls_certificate"`     // PEM chain; with tls_certificate_key, the gateway speaks TLS
	TLSCertificateKey string        `toml:"tls_certificate_key"` // PEM key, relative to the cluster file
	ConnectTimeout    time.Duration `toml:"connect_timeout"`     // to a node; past it the buyer gets unavailable
	ReadTimeout       time.Duration `toml:"read_timeout"`        // a node's answer; past it the buyer gets unavailable
	WorkerConnections int           `toml:"worker_connections"`  // per nginx worker, in the standalone file
}

// Gateway defaults. Each says why.
const (
	// DefaultConnectTimeout: nodes sit on the gateway's own network, where
	// a connect takes well under a millisecond; one that takes a second is
	// to a machine that is gone (a killed engine is refused at once), and
	// its buyers should hear unavailable rather than wait.
	DefaultConnectTimeout = time.Second
	// DefaultReadTimeout covers an engine's slowest honest answer — a won
	// waits for its group commit behind a full inbox — with room for a
	// stalled disk, as DEPLOY.md's stream proxy_timeout does; a node
	// silent for longer is treated as down.
	DefaultReadTimeout = 10 * time.Second
	// DefaultWorkerConnections: each buyer takes two connections in
	// nginx (client and node), so 16,384 holds 8,192 buyers per worker;
	// raise it with the descriptor limit for a real sale (DEPLOY.md).
	DefaultWorkerConnections = 16384
	// MaxTimeout bounds both timeouts: a buyer held longer has given up.
	MaxTimeout = 5 * time.Minute
)

// file is the cluster file's own part; the rest is a config.Config.
type file struct {
	Nodes   []Node  `toml:"node"`
	Gateway Gateway `toml:"gateway"`
}

// ownTables are the cluster file's top-level tables that a plain config
// file does not have.
var ownTables = []string{"node", "gateway"}

// nodeOwned are the [server] fields each node sets for itself.
var nodeOwned = []string{"listen", "admin_listen", "data_dir"}

// Load reads the cluster file at path; see Parse. Relative file names in it
// (secret_file, reservations_file, TLS files) are taken against its
// directory; data_dir, as in a config file, against the working directory.
func Load(path string, now time.Time) (*Cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cluster: load: %w", err)
	}
	c, err := Parse(data, filepath.Dir(path), now)
	if err != nil {
		return nil, fmt.Errorf("cluster: load %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// Parse decodes a cluster file: [[node]] tables, a [gateway] table, and
// everything else a config file holds ([server] but for the per-node
// fields, [auth], [admin], [export], [blocklist], [[activity]]), shared by
// every node. It reports every problem at once: those of the shared
// configuration (with the config file's field names), of the nodes, of the
// gateway, of the assignment of activities and SKUs to nodes, and of each
// node's own configuration.
func Parse(data []byte, baseDir string, now time.Time) (*Cluster, error) {
	var f file
	meta, err := toml.Decode(string(data), &f)
	if err != nil {
		// The shared parse names the line and column of a syntax error.
		if _, perr := config.ParseEmbedded(data, baseDir, now, ownTables...); perr != nil {
			return nil, perr
		}
		return nil, fmt.Errorf("cluster: decode: %w", err)
	}
	var problems config.Problems
	for _, k := range meta.Undecoded() {
		if slices.Contains(ownTables, k[0]) {
			problems = append(problems, config.Problem{Field: k.String(), Message: "unknown key"})
		}
	}
	for _, field := range nodeOwned {
		if meta.IsDefined("server", field) {
			problems = append(problems, config.Problem{Field: "server." + field, Message: "is set per node: write it in each [[node]] as " + field})
		}
	}
	c := &Cluster{Nodes: f.Nodes, Gateway: f.Gateway}
	c.Gateway.resolve(baseDir)
	c.Gateway.ensureDefaults()
	shared, err := config.ParseEmbedded(data, baseDir, now, ownTables...)
	var sharedProblems config.Problems
	switch {
	case errors.As(err, &sharedProblems):
		problems = append(problems, sharedProblems...)
	case err != nil:
		return nil, err
	}
	c.Shared = shared
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	return c, nil
}

// invalid is the error of a file with problems: config.Problems' listing,
// matching both ErrInvalid and config.ErrInvalid.
func invalid(ps config.Problems) error {
	return fmt.Errorf("%w: %w", ErrInvalid, ps)
}

// Node returns the node called name.
func (c *Cluster) Node(name string) (*Node, error) {
	i, err := c.nodeIndex(name)
	if err != nil {
		return nil, err
	}
	return &c.Nodes[i], nil
}

func (c *Cluster) nodeIndex(name string) (int, error) {
	for i := range c.Nodes {
		if c.Nodes[i].Name == name {
			return i, nil
		}
	}
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name
	}
	return 0, fmt.Errorf("%w: %q (the cluster file has %q)", ErrNoNode, name, names)
}

// NodeConfig is the configuration node name runs: the shared one with the
// node's listeners and data_dir, and only the activities it owns.
func (c *Cluster) NodeConfig(name string) (*config.Config, error) {
	i, err := c.nodeIndex(name)
	if err != nil {
		return nil, err
	}
	cfg, problems := c.nodeConfig(i)
	if len(problems) > 0 {
		// Parse validated every node; this is a cluster changed in code.
		return nil, invalid(problems)
	}
	return cfg, nil
}

// nodeConfig builds n's configuration and validates it as a whole, with
// the problems named after the node's own fields.
func (c *Cluster) nodeConfig(i int) (*config.Config, config.Problems) {
	n := &c.Nodes[i]
	cfg := *c.Shared
	cfg.Server.Listen, cfg.Server.AdminListen, cfg.Server.DataDir = n.Listen, n.AdminListen, n.DataDir
	cfg.Activities = nil
	for _, a := range c.Shared.Activities {
		if slices.Contains(n.Activities, a.ID) {
			cfg.Activities = append(cfg.Activities, a)
		}
	}
	var ps config.Problems
	if err := cfg.Validate(); err != nil && !errors.As(err, &ps) {
		panic(fmt.Sprintf("cluster: config.Validate returned %v, not Problems", err))
	}
	field := nodeField(i)
	for i, p := range ps {
		if own, ok := strings.CutPrefix(p.Field, "server."); ok && slices.Contains(nodeOwned, own) {
			ps[i].Field = field + "." + own
		} else {
			ps[i].Field = field + ": " + p.Field
		}
	}
	return &cfg, ps
}

// nodeField names the i-th [[node]] in problems, as config names
// activity[i].
func nodeField(i int) string { return fmt.Sprintf("node[%d]", i) }

// Owner is the node that sells one SKU.
type Owner struct {
	SKU  string
	Node string
}

// Owners lists every SKU of the cluster with the node that sells it,
// ordered by SKU. Parse guarantees one node per SKU.
func (c *Cluster) Owners() []Owner {
	nodeOf := map[string]string{}
	for _, n := range c.Nodes {
		for _, id := range n.Activities {
			nodeOf[id] = n.Name
		}
	}
	seen := map[string]bool{}
	var owners []Owner
	for _, a := range c.Shared.Activities {
		for _, it := range a.Items {
			if !seen[it.SKU] {
				seen[it.SKU] = true
				owners = append(owners, Owner{SKU: it.SKU, Node: nodeOf[a.ID]})
			}
		}
	}
	slices.SortFunc(owners, func(a, b Owner) int { return strings.Compare(a.SKU, b.SKU) })
	return owners
}

// DataDirs lists every node's data_dir, in the file's order: the stores a
// combined audit or export reads.
func (c *Cluster) DataDirs() []string {
	dirs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		dirs[i] = n.DataDir
	}
	return dirs
}

func (g *Gateway) resolve(baseDir string) {
	for _, p := range []*string{&g.TLSCertificate, &g.TLSCertificateKey} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(baseDir, *p)
		}
	}
}

func (g *Gateway) ensureDefaults() {
	if g.ConnectTimeout == 0 {
		g.ConnectTimeout = DefaultConnectTimeout
	}
	if g.ReadTimeout == 0 {
		g.ReadTimeout = DefaultReadTimeout
	}
	if g.WorkerConnections == 0 {
		g.WorkerConnections = DefaultWorkerConnections
	}
}
