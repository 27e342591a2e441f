// Package cluster reads the cluster file: several engines ("nodes"), each
// selling its own activities from its own store, behind one nginx gateway
// that routes each request by its sku parameter to the node that sells the
// SKU (SPEC, "Past one machine").
//
// The file is a config file (package config) whose [server] leaves out
// listen, admin_listen and data_dir, plus [[node]] tables that set those
// and name the activities each node sells, and a [gateway] table for the
// nginx in front. Every node runs the shared [auth], [admin], [export],
// [blocklist] and [server] settings, so tokens signed with the one secret
// are good on every node. Parse validates everything at once: the shared
// config, the nodes (names, distinct addresses and stores), every activity
// on exactly one node, every SKU on one node, and each node's own config.
//
// Usage:
//
//	c, err := cluster.Load("/etc/seckill/cluster.toml", time.Now())
//	cfg, err := c.NodeConfig("node-a")  // what `seckill serve -cluster F -node node-a` runs
//	conf := c.Nginx()                   // what `seckill gateway -cluster F` writes
//	dirs := c.DataDirs()                // what `seckill replay -cluster F` audits as one sale
package cluster
