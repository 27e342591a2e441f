package observe

import (
	"encoding/json"
	"net/http"
	"time"

	"seckill/internal/live/meter"
)

// dashboard is GET /admin/dashboard's body: the gauges read fresh at the
// request, the rates of the watcher's last second, and its history.
type dashboard struct {
	ServerMs    int64     `json:"server_ms"`
	Health      string    `json:"health"`
	StoreFailed bool      `json:"store_failed"`
	Rounds      []round   `json:"rounds"`
	SKUs        []skuView `json:"skus"`
	Open        int64     `json:"open"`
	Refused     int64     `json:"refused"`
	Queue       int64     `json:"queue"`
	Pushing     bool      `json:"pushing"`
	PushBacklog uint64    `json:"push_backlog"`
	PushError   string    `json:"push_error,omitempty"`
	Attempts    uint64    `json:"attempts"` // since start, every result
	Wins        uint64    `json:"wins"`     // since start
	P50WonMs    float64   `json:"p50_won_ms"`
	P99WonMs    float64   `json:"p99_won_ms"`
	Last        *Point    `json:"last"` // the last whole second; null in the first second
	History     []Point   `json:"history"`
	Results     []string  `json:"results"` // every result name, in a fixed order for colours
}

type round struct {
	Activity string `json:"activity"`
	Title    string `json:"title"`
	StartMs  int64  `json:"start_ms"`
	EndMs    int64  `json:"end_ms"`
}

type skuView struct {
	Activity  string            `json:"activity"`
	SKU       string            `json:"sku"`
	Name      string            `json:"name"`
	State     string            `json:"state"`
	Quota     int64             `json:"quota"`
	Remaining int64             `json:"remaining"`
	Sold      int64             `json:"sold"`
	Queue     int               `json:"queue"`
	Attempts  map[string]uint64 `json:"attempts"` // since start, nonzero results only
}

func serveDashboard(w http.ResponseWriter, src *Source, watcher *Watcher) {
	s := src.Take(time.Now())
	d := dashboard{
		ServerMs:    s.At.UnixMilli(),
		Health:      s.Health,
		StoreFailed: s.StoreFailed,
		Open:        s.Open,
		Refused:     s.Refused,
		Pushing:     s.Pushing,
		PushBacklog: s.PushBacklog,
		SKUs:        make([]skuView, len(s.Routes)),
	}
	if s.PushErr != nil {
		d.PushError = s.PushErr.Error()
	}
	for _, res := range meter.AllResults {
		d.Results = append(d.Results, res.String())
	}
	var labels Labels
	if src.Labels != nil {
		labels = src.Labels()
	}
	seen := map[string]bool{}
	for i := range s.Routes {
		rs := &s.Routes[i]
		act := rs.Route.Activity
		if !seen[act] {
			seen[act] = true
			d.Rounds = append(d.Rounds, round{Activity: act, Title: labels.Titles[act], StartMs: rs.Route.StartUnixNano / 1e6, EndMs: rs.Route.End() / 1e6})
		}
		v := skuView{Activity: act, SKU: rs.Route.SKU, Name: labels.Names[act+"/"+rs.Route.SKU], State: rs.State,
			Quota: rs.Quota, Remaining: rs.Remaining, Sold: rs.Sold(), Queue: rs.Queue, Attempts: map[string]uint64{}}
		for _, res := range meter.AllResults {
			if n := rs.Attempts[res]; n > 0 {
				v.Attempts[res.String()] = n
			}
		}
		d.Queue += int64(rs.Queue)
		d.SKUs[i] = v
	}
	attempts, won := s.Totals()
	for _, n := range attempts {
		d.Attempts += n
	}
	d.Wins = won.Count()
	d.P50WonMs, d.P99WonMs = won.Quantile(0.5)/1e6, won.Quantile(0.99)/1e6
	if watcher != nil {
		_, d.History = watcher.Latest()
		if len(d.History) > 0 {
			d.Last = &d.History[len(d.History)-1]
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(&d)
}
