// Package meter holds the counters the request path keeps for the operator:
// attempts by result and fixed-bucket histograms, each written with single
// atomic adds on the hot path (no lock, no allocation, no clock reading of
// its own) and read at scrape time by the metrics collector, the dashboard
// and the once-a-second log summary.
//
// The gate owns one Results and one won-latency Histogram per route, each
// shard loop one commit-latency and one batch-size Histogram; readers sum
// them. Prometheus's own Histogram.Observe does not lock or allocate either,
// but a histogram the engine owns can be summed per SKU, per activity or
// process-wide at read time and gives the dashboard its quantiles without a
// round trip through the Prometheus text format.
package meter
