package push

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"seckill/internal/handoff/export"
)

// mall is a real HTTP receiver that behaves like a flaky order system: it
// fails a share of the batches with 500, stalls a share past the sender's
// timeout (and then takes them anyway, as a slow server that finishes its
// work does), deduplicates by idempotency key, and counts.
type mall struct {
	failPct, stallPct int
	stall             time.Duration
	down              bool // every POST fails

	mu       sync.Mutex
	accepted map[string]int // key → times taken as new (must end at 1)
	seen     map[string]int // key → times received in a batch answered 2xx or stalled
	records  map[string]export.Record
	batches  int // answered 2xx
	failed   int // answered 500
	stalled  int // held past the sender's timeout
	maxBatch int
	badKeys  int // records whose idempotency_key is not their activity/sku/seq
}

func newMall(t *testing.T, failPct, stallPct int, stall time.Duration) (*mall, *httptest.Server) {
	m := &mall{failPct: failPct, stallPct: stallPct, stall: stall,
		accepted: map[string]int{}, seen: map[string]int{}, records: map[string]export.Record{}}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv
}

func (m *mall) setDown(down bool) {
	m.mu.Lock()
	m.down = down
	m.mu.Unlock()
}

func (m *mall) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var recs []export.Record
	if r.Method != http.MethodPost || r.Header.Get("Idempotency-Key") == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&recs); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	m.mu.Lock()
	down := m.down
	m.mu.Unlock()
	roll := rand.IntN(100)
	if down || roll < m.failPct {
		m.mu.Lock()
		m.failed++
		m.mu.Unlock()
		http.Error(w, "mall unavailable", http.StatusInternalServerError)
		return
	}
	if roll < m.failPct+m.stallPct {
		time.Sleep(m.stall)
		m.mu.Lock()
		m.stalled++
		m.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches++
	m.maxBatch = max(m.maxBatch, len(recs))
	for _, rec := range recs {
		if w, err := rec.Win(); err != nil || string(export.AppendIdempotencyKey(nil, &w)) != rec.IdempotencyKey {
			m.badKeys++
			continue
		}
		m.seen[rec.IdempotencyKey]++
		if _, dup := m.records[rec.IdempotencyKey]; !dup {
			m.accepted[rec.IdempotencyKey]++
			m.records[rec.IdempotencyKey] = rec
		}
	}
	w.WriteHeader(http.StatusOK)
}

// snapshot copies the counts.
func (m *mall) snapshot() (accepted, seen map[string]int, records map[string]export.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	accepted, seen, records = map[string]int{}, map[string]int{}, map[string]export.Record{}
	for k, v := range m.accepted {
		accepted[k] = v
	}
	for k, v := range m.seen {
		seen[k] = v
	}
	for k, v := range m.records {
		records[k] = v
	}
	return
}

// counts returns the batch counters.
func (m *mall) counts() (taken, failed, stalled, maxBatch, badKeys int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.batches, m.failed, m.stalled, m.maxBatch, m.badKeys
}
