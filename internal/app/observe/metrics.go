package observe

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"seckill/engine"
	"seckill/internal/live/meter"
)

// routedResults are the results a /buy with a route can get; every one is
// exported from the start, at zero, so that rate() sees a series' first
// increment.
var routedResults = []engine.Result{
	engine.Won, engine.AlreadyWon, engine.SoldOut, engine.Ended, engine.NotStarted,
	engine.Busy, engine.NotReserved, engine.LimitReached, engine.Blocked,
	engine.CaptchaRequired, engine.Unavailable, engine.Waitlisted,
}

// unroutedResults are those of a /buy refused before its SKU found a route.
var unroutedResults = []engine.Result{engine.BadRequest, engine.UnknownSKU}

var (
	skuLabels        = []string{"activity", "sku"}
	descAttempts     = prometheus.NewDesc("seckill_attempts_total", "Buy attempts (GET /buy) answered, by result.", []string{"activity", "sku", "result"}, nil)
	descUnrouted     = prometheus.NewDesc("seckill_unrouted_attempts_total", "Buy attempts refused before their SKU was known (bad_request, unknown_sku).", []string{"result"}, nil)
	descRemaining    = prometheus.NewDesc("seckill_remaining", "Units of the SKU's quota without a durable winner.", skuLabels, nil)
	descQuota        = prometheus.NewDesc("seckill_quota", "Units of the SKU on sale in the round (stock times quota_percent).", skuLabels, nil)
	descQueue        = prometheus.NewDesc("seckill_queue_depth", "Attempts waiting in the SKU's shard inbox.", skuLabels, nil)
	descOnSale       = prometheus.NewDesc("seckill_on_sale", "1 while the SKU is on sale (started, not ended, not sold out, not paused), else 0.", skuLabels, nil)
	descStart        = prometheus.NewDesc("seckill_round_start_timestamp_seconds", "When the activity's round opens, unix seconds.", []string{"activity"}, nil)
	descEnd          = prometheus.NewDesc("seckill_round_end_timestamp_seconds", "When the activity's round ends, unix seconds.", []string{"activity"}, nil)
	descOpen         = prometheus.NewDesc("seckill_connections_open", "Public connections open now.", nil, nil)
	descRefused      = prometheus.NewDesc("seckill_connections_refused_total", "Public connections refused (busy and closed) over max_connections.", nil, nil)
	descWonLatency   = prometheus.NewDesc("seckill_won_latency_seconds", "Time from the gate taking a /buy to its won reply being ready, the group commit's fsync included.", []string{"activity"}, nil)
	descCommit       = prometheus.NewDesc("seckill_wal_commit_seconds", "Time one shard's group commit (write and fsync of its batch's wins) took.", nil, nil)
	descBatch        = prometheus.NewDesc("seckill_batch_attempts", "Attempts a shard decided in one batch (one group commit at most).", nil, nil)
	descPushBacklog  = prometheus.NewDesc("seckill_push_backlog", "Winners not yet delivered to the mall by the live push (absent when push_url is empty).", nil, nil)
	descStoreFailed  = prometheus.NewDesc("seckill_store_failed", "1 once a store write failed: the affected SKUs answer unavailable until restart.", nil, nil)
	descDraining     = prometheus.NewDesc("seckill_draining", "1 from the first moment of a shutdown (/healthz answers 503 draining).", nil, nil)
	descBuild        = prometheus.NewDesc("seckill_build_info", "Always 1; the labels name the running binary.", []string{"version", "revision"}, nil)
	descScrapeErrors = prometheus.NewDesc("seckill_scrape_errors_total", "Errors while reading a figure for this scrape (e.g. the push backlog from the store).", nil, nil)
)

// collector exports a fresh Sample at every scrape (prometheus.Collector).
type collector struct {
	src          *Source
	scrapeErrors atomic.Uint64
}

// Describe sends every metric's description.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAttempts, descUnrouted, descRemaining, descQuota, descQueue, descOnSale,
		descStart, descEnd, descOpen, descRefused, descWonLatency, descCommit, descBatch, descPushBacklog,
		descStoreFailed, descDraining, descBuild, descScrapeErrors} {
		ch <- d
	}
}

// Collect reads the engine's counters and sends them as metrics.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Take(time.Now())
	won := map[string]*meter.Snapshot{}
	var activities []string
	for i := range s.Routes {
		rs := &s.Routes[i]
		act, sku := rs.Route.Activity, rs.Route.SKU
		for _, res := range routedResults {
			ch <- prometheus.MustNewConstMetric(descAttempts, prometheus.CounterValue, float64(rs.Attempts[res]), act, sku, res.String())
		}
		ch <- prometheus.MustNewConstMetric(descRemaining, prometheus.GaugeValue, float64(rs.Remaining), act, sku)
		ch <- prometheus.MustNewConstMetric(descQuota, prometheus.GaugeValue, float64(rs.Quota), act, sku)
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(rs.Queue), act, sku)
		ch <- prometheus.MustNewConstMetric(descOnSale, prometheus.GaugeValue, boolValue(rs.State == "on_sale"), act, sku)
		w, ok := won[act]
		if !ok {
			w = &meter.Snapshot{}
			won[act] = w
			activities = append(activities, act)
			ch <- prometheus.MustNewConstMetric(descStart, prometheus.GaugeValue, float64(rs.Route.StartUnixNano/1e9), act)
			ch <- prometheus.MustNewConstMetric(descEnd, prometheus.GaugeValue, float64(rs.Route.End()/1e9), act)
		}
		addSnapshot(w, &rs.WonLatency)
	}
	for _, act := range activities {
		ch <- histogram(descWonLatency, won[act], 1e-9, act)
	}
	for _, res := range unroutedResults {
		ch <- prometheus.MustNewConstMetric(descUnrouted, prometheus.CounterValue, float64(s.Unrouted[res]), res.String())
	}
	ch <- histogram(descCommit, &s.Commit, 1e-9)
	ch <- histogram(descBatch, &s.Batch, 1)
	ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(s.Open))
	ch <- prometheus.MustNewConstMetric(descRefused, prometheus.CounterValue, float64(s.Refused))
	if s.Pushing {
		if s.PushErr != nil {
			c.scrapeErrors.Add(1)
		} else {
			ch <- prometheus.MustNewConstMetric(descPushBacklog, prometheus.GaugeValue, float64(s.PushBacklog))
		}
	}
	ch <- prometheus.MustNewConstMetric(descStoreFailed, prometheus.GaugeValue, boolValue(s.StoreFailed))
	ch <- prometheus.MustNewConstMetric(descDraining, prometheus.GaugeValue, boolValue(s.Health == "draining"))
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, c.src.Build.Version, c.src.Build.Revision)
	ch <- prometheus.MustNewConstMetric(descScrapeErrors, prometheus.CounterValue, float64(c.scrapeErrors.Load()))
}

// histogram converts a meter snapshot to a Prometheus histogram, scaling
// bounds and sum by scale (1e-9 for nanoseconds to seconds).
func histogram(d *prometheus.Desc, s *meter.Snapshot, scale float64, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, meter.Buckets-1)
	var cum uint64
	for i := 0; i < meter.Buckets-1; i++ {
		cum += s.Buckets[i]
		buckets[float64(s.UpperBound(i))*scale] = cum
	}
	count := cum + s.Buckets[meter.Buckets-1]
	return prometheus.MustNewConstHistogram(d, count, float64(s.Sum)*scale, buckets, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
