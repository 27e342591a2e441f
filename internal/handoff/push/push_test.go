package push

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/testkit/salegen"
	"seckill/wal"
)

func openStore(t testing.TB, dir string) *wal.Log {
	t.Helper()
	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func fill(t testing.TB, l *wal.Log, activity string, perSKU int, skus ...string) {
	t.Helper()
	if _, err := salegen.Fill(l, salegen.Options{Activity: activity, SKUs: skus, PerSKU: perSKU, Batch: 50}); err != nil {
		t.Fatal(err)
	}
}

func storeWins(t testing.TB, l *wal.Log) map[string]engine.Win {
	t.Helper()
	out := map[string]engine.Win{}
	if err := l.ScanWins(func(w *engine.Win) error {
		out[fmt.Sprintf("%s/%s/%d", w.Activity, w.SKU, w.Seq)] = *w // as the mall names wins, not through the code under test
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func testOptions(url string) Options {
	return Options{URL: url, Secret: testSecret, Batch: 40, Timeout: 200 * time.Millisecond, MaxAttempts: 50,
		Backoff: time.Millisecond, BackoffMax: 20 * time.Millisecond}
}

func newPusher(t *testing.T, l *wal.Log, opts Options) *Pusher {
	t.Helper()
	p, err := New(l, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkDelivered asserts that the mall received every win of the store at
// least once and booked it exactly once, with every field as stored, and
// nothing else.
func checkDelivered(t *testing.T, m *mall, l *wal.Log) mallCounts {
	t.Helper()
	c := m.snapshot()
	want := storeWins(t, l)
	for key, w := range want {
		if c.deliveries[key] < 1 || c.bookings[key] != 1 {
			t.Errorf("%s delivered %d times, booked %d times; want at least 1 and exactly 1", key, c.deliveries[key], c.bookings[key])
			continue
		}
		rec := c.records[key]
		if got, err := rec.Win(); err != nil || got != w {
			t.Errorf("%s delivered as %+v (%v), stored %+v", key, got, err, w)
		}
	}
	if len(c.bookings) != len(want) || len(c.deliveries) != len(want) {
		t.Errorf("the mall booked %d and received %d wins, the store holds %d", len(c.bookings), len(c.deliveries), len(want))
	}
	if _, _, _, _, bad := m.counts(); bad > 0 {
		t.Errorf("%d records carried a wrong idempotency key", bad)
	}
	m.mu.Lock()
	if m.badSigs > 0 {
		t.Errorf("%d batches carried a wrong signature", m.badSigs)
	}
	m.mu.Unlock()
	st, err := ReadStatus(l)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 || st.Failed != 0 || st.Delivered != uint64(len(want)) {
		t.Errorf("status %+v after delivering %d", st, len(want))
	}
	return c
}

func TestDrainDeliversIncrementally(t *testing.T) {
	l := openStore(t, t.TempDir())
	m, srv := newMall(t, 0, 0, 0)
	fill(t, l, "a", 90, "s1", "s2", "s3")
	p := newPusher(t, l, testOptions(srv.URL))
	rep, err := p.Drain(drainCtx(t))
	if err != nil || rep.Delivered != 270 || rep.GaveUp != 0 {
		t.Fatalf("drain: %+v, %v", rep, err)
	}
	checkDelivered(t, m, l)
	fill(t, l, "a", 7, "s2", "s4")
	rep, err = newPusher(t, l, testOptions(srv.URL)).Drain(drainCtx(t))
	if err != nil || rep.Delivered != 14 {
		t.Fatalf("second drain after 14 new wins: %+v, %v", rep, err)
	}
	c := checkDelivered(t, m, l)
	if len(c.received) != 284 {
		t.Fatalf("the mall received %d wins, want 284", len(c.received))
	}
	for k, n := range c.received {
		if n != 1 {
			t.Errorf("%s sent %d times to a healthy mall", k, n)
		}
	}
	if _, _, _, maxBatch, _ := m.counts(); maxBatch > 40 {
		t.Errorf("a batch of %d records; the limit is 40", maxBatch)
	}
}

// TestFlakyMallAcrossRestarts runs the live pusher against a mall that
// fails 30% and stalls 10% of the batches past the timeout, while the sale
// goes on, and replaces the pusher (a restart) several times midway.
func TestFlakyMallAcrossRestarts(t *testing.T) {
	l := openStore(t, t.TempDir())
	opts := testOptions("")
	opts.Batch = 20
	m, srv := newMall(t, 30, 10, opts.Timeout+100*time.Millisecond)
	opts.URL = srv.URL
	for round := 0; round < 4; round++ {
		p := newPusher(t, l, opts)
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		fill(t, l, "a", 150, "s1", "s2")
		p.Notify() <- struct{}{}
		time.Sleep(150 * time.Millisecond)
		p.Stop()
	}
	p := newPusher(t, l, opts)
	p.Start()
	defer p.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := ReadStatus(l)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered in time: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Stop()
	c := checkDelivered(t, m, l)
	again := 0
	for _, n := range c.deliveries {
		again += n - 1
	}
	taken, failed, stalled, _, _ := m.counts()
	t.Logf("1200 wins; batches: %d taken, %d failed, %d stalled; %d records received again after a lost answer", taken, failed, stalled, again)
	if failed == 0 || stalled == 0 || again == 0 {
		t.Fatal("the mall never failed or stalled: the test did not test retries")
	}
}

func TestGiveUpRequeue(t *testing.T) {
	l := openStore(t, t.TempDir())
	m, srv := newMall(t, 0, 0, 0)
	fill(t, l, "a", 25, "s1", "s2")
	opts := testOptions(srv.URL)
	opts.MaxAttempts = 3
	m.setDown(true)
	rep, err := newPusher(t, l, opts).Drain(drainCtx(t))
	if err != nil || rep.GaveUp != 50 || rep.Delivered != 0 {
		t.Fatalf("drain against a dead mall: %+v, %v", rep, err)
	}
	st, _ := ReadStatus(l)
	if st.Failed != 50 || st.Pending != 0 {
		t.Fatalf("status after giving up: %+v", st)
	}
	// New wins flow although older ones failed.
	m.setDown(false)
	fill(t, l, "a", 5, "s1")
	p := newPusher(t, l, opts)
	if rep, err := p.Drain(drainCtx(t)); err != nil || rep.Delivered != 5 {
		t.Fatalf("drain of new wins: %+v, %v", rep, err)
	}
	if n, err := p.Requeue(ScopeFailed); err != nil || n != 50 {
		t.Fatalf("requeue failed: %d, %v", n, err)
	}
	if st, _ := ReadStatus(l); st.Queued != 50 || st.Failed != 0 || st.Pending != 50 {
		t.Fatalf("status after requeue: %+v", st)
	}
	if rep, err := p.Drain(drainCtx(t)); err != nil || rep.Delivered != 50 {
		t.Fatalf("drain of requeued: %+v, %v", rep, err)
	}
	checkDelivered(t, m, l)
	if n, err := p.Requeue(ScopeAll); err != nil || n != 55 {
		t.Fatalf("requeue all: %d, %v", n, err)
	}
	if rep, err := p.Drain(drainCtx(t)); err != nil || rep.Delivered != 55 {
		t.Fatalf("drain after requeue all: %+v, %v", rep, err)
	}
	c := checkDelivered(t, m, l)
	for k, n := range c.deliveries { // every win was received twice, booked once
		if n != 2 {
			t.Errorf("%s delivered %d times after a re-push of all, want 2", k, n)
		}
	}
	if _, err := p.Requeue("some"); !errors.Is(err, ErrOptions) {
		t.Fatalf("unknown scope: %v", err)
	}
}

// TestAttemptsSurviveRestart checks that the attempt count of records under
// retry is in the store: a new pusher continues it instead of starting over.
func TestAttemptsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, srv := newMall(t, 0, 0, 0)
	m.setDown(true)
	fill(t, l, "a", 10, "s1")
	opts := testOptions(srv.URL)
	opts.MaxAttempts = 5
	ctx, cancel := context.WithCancel(context.Background())
	p := newPusher(t, l, opts)
	go func() {
		for p.Counters().Failures.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	p.Drain(ctx)
	l.Close()
	l = openStore(t, dir)
	st, err := ReadStatus(l)
	if err != nil || len(st.Chains) != 1 || st.Chains[0].Attempts < 3 {
		t.Fatalf("after 3 failures and a restart: %+v, %v", st, err)
	}
	done := st.Chains[0].Attempts
	p = newPusher(t, l, opts)
	rep, err := p.Drain(drainCtx(t))
	if err != nil || rep.GaveUp != 10 || p.Counters().Posts.Load() != uint64(5-done) {
		t.Fatalf("after the restart: %+v, %v, %d posts; want the remaining %d", rep, err, p.Counters().Posts.Load(), 5-done)
	}
}

func TestOptionsCheck(t *testing.T) {
	good := testOptions("http://mall.internal/x")
	for _, tc := range []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"good", func(*Options) {}, ""},
		{"scheme", func(o *Options) { o.URL = "ftp://mall/x" }, "url"},
		{"no host", func(o *Options) { o.URL = "http:///x" }, "url"},
		{"batch 0", func(o *Options) { o.Batch = 0 }, "batch"},
		{"no secret", func(o *Options) { o.Secret = nil }, "secret"},
		{"timeout", func(o *Options) { o.Timeout = 0 }, "timeout"},
		{"attempts", func(o *Options) { o.MaxAttempts = 0 }, "attempts"},
		{"backoff order", func(o *Options) { o.BackoffMax = o.Backoff / 2 }, "backoff"},
		{"backoff zero", func(o *Options) { o.Backoff = 0 }, "backoff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.change(&o)
			err := o.check()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrOptions naming %q", err, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	base, maxWait := 100*time.Millisecond, 2*time.Second
	for _, tc := range []struct {
		attempts uint32
		ceiling  time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, 1600 * time.Millisecond},
		{6, 2 * time.Second},
		{200, 2 * time.Second},
	} {
		var lo, hi time.Duration = maxWait, 0
		for i := 0; i < 2000; i++ {
			d := backoff(tc.attempts, base, maxWait)
			lo, hi = min(lo, d), max(hi, d)
		}
		// Full jitter: the draws cover the interval, not just its top.
		if lo <= 0 || hi > tc.ceiling || lo > tc.ceiling/10 || hi < tc.ceiling*9/10 {
			t.Errorf("attempt %d: waits in [%v, %v], want spread over (0, %v]", tc.attempts, lo, hi, tc.ceiling)
		}
	}
	if d := backoff(0, base, maxWait); d != 0 {
		t.Errorf("no failure yet, wait %v", d)
	}
}

// drainCtx bounds a test's Drain: a pusher that resends for ever (a mark
// that never passes the last record it delivered) fails the test within two
// minutes instead of hanging it until the test binary's timeout.
func drainCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
