// Package observe shows the operator the sale as it happens: Prometheus
// metrics (GET /metrics), a live dashboard (GET / and GET
// /admin/dashboard), and one log line a second while buyers are buying.
//
// All three read the same Sample: the engine's own counters — the gate's
// per-route attempts by result and won-latency histograms, the shard loops'
// commit and batch histograms, the front end's connection counters, each
// shard's published remaining and inbox length — taken at read time. The
// request path only ever does the atomic adds of package meter; everything
// here runs on the admin listener's goroutines or on Watch's ticker.
//
// Wire it up with a Source, register Routes on the admin mux, and run Watch
// while the engine serves.
package observe
