package push

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"seckill/internal/handoff/export"
	"seckill/internal/testkit/mallsig"
)

// testSecret is the push secret the tests' malls verify signatures with.
var testSecret = []byte("0123456789abcdef-push-test-secret")

// mall is a real HTTP receiver that behaves like a flaky order system: it
// verifies each batch's signature, fails a share of the batches with 500,
// stalls a share past the sender's timeout (and then takes them anyway, as
// a slow server that finishes its work does), books each idempotency key
// once, and counts every receipt. Bookings are counted per win (activity,
// sku, seq read from the record's own fields), not per key, so a sender
// that sent one win under two keys shows as a double booking.
type mall struct {
	failPct, stallPct int
	stall             time.Duration
	down              bool   // every POST fails
	redirectTo        string // when set, every POST is answered 302 to it

	mu         sync.Mutex
	booked     map[string]bool          // idempotency keys the mall booked (its deduplication)
	bookings   map[string]int           // win → orders booked for it (must end at 1)
	deliveries map[string]int           // win → times received in a batch answered 2xx or stalled
	received   map[string]int           // win → times received at all, refused batches included
	records    map[string]export.Record // win → the record booked
	batches    int                      // answered 2xx
	failed     int                      // answered 500
	stalled    int                      // held past the sender's timeout
	redirected int                      // answered 302
	maxBatch   int                      //
	badKeys    int                      // records whose idempotency_key is not their activity/sku/seq
	badSigs    int                      // batches whose signature did not verify
}

func newMall(t *testing.T, failPct, stallPct int, stall time.Duration) (*mall, *httptest.Server) {
	m := newMallHandler(failPct, stallPct, stall)
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv
}

func newMallHandler(failPct, stallPct int, stall time.Duration) *mall {
	return &mall{failPct: failPct, stallPct: stallPct, stall: stall, booked: map[string]bool{},
		bookings: map[string]int{}, deliveries: map[string]int{}, received: map[string]int{}, records: map[string]export.Record{}}
}

func (m *mall) setDown(down bool) {
	m.mu.Lock()
	m.down = down
	m.mu.Unlock()
}

// winID names a win by its record's own fields, independently of the
// sender's idempotency key.
// winID names an order as the mall does: activity/sku/seq for a win, and
// activity/sku/seq/rN for the Nth re-issue of a lapsed seq (a promoted record).
func winID(r *export.Record) string {
	id := fmt.Sprintf("%s/%s/%d", r.Activity, r.SKU, r.Seq)
	if r.State == "promoted" {
		id += fmt.Sprintf("/r%d", r.Round)
	}
	return id
}

func (m *mall) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Idempotency-Key") == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	recs, status, err := mallsig.ReadBatch(r, testSecret, time.Now())
	if err != nil {
		if errors.Is(err, mallsig.ErrBadSignature) {
			m.mu.Lock()
			m.badSigs++
			m.mu.Unlock()
		}
		http.Error(w, err.Error(), status)
		return
	}
	m.mu.Lock()
	down, redirect := m.down, m.redirectTo
	for i := range recs {
		m.received[winID(&recs[i])]++
	}
	m.mu.Unlock()
	if redirect != "" {
		m.mu.Lock()
		m.redirected++
		m.mu.Unlock()
		http.Redirect(w, r, redirect, http.StatusFound)
		return
	}
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
		id := winID(&rec)
		if rec.IdempotencyKey != id {
			m.badKeys++
		}
		m.deliveries[id]++
		if !m.booked[rec.IdempotencyKey] {
			m.booked[rec.IdempotencyKey] = true
			m.bookings[id]++
			m.records[id] = rec
		}
	}
	w.WriteHeader(http.StatusOK)
}

// mallCounts is a copy of a mall's per-win counters.
type mallCounts struct {
	bookings, deliveries, received map[string]int
	records                        map[string]export.Record
}

// snapshot copies the per-win counters.
func (m *mall) snapshot() mallCounts {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := mallCounts{bookings: map[string]int{}, deliveries: map[string]int{}, received: map[string]int{}, records: map[string]export.Record{}}
	for k, v := range m.bookings {
		c.bookings[k] = v
	}
	for k, v := range m.deliveries {
		c.deliveries[k] = v
	}
	for k, v := range m.received {
		c.received[k] = v
	}
	for k, v := range m.records {
		c.records[k] = v
	}
	return c
}

// counts returns the batch counters.
func (m *mall) counts() (taken, failed, stalled, maxBatch, badKeys int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.batches, m.failed, m.stalled, m.maxBatch, m.badKeys
}
