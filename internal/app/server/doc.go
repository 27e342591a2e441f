// Package server assembles a running engine from a configuration: it opens
// the store, loads the reservation sets, builds one shard per (activity,
// SKU), rebuilds their state from the store (recovery), starts the shard
// loops and the front end, and shuts all of it down in order.
//
// Usage:
//
//	srv, err := server.Open(cfg, logger) // recovery happens here
//	err = srv.Run(ctx)                  // serves until ctx ends, then drains and closes
package server
