package push

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/testkit/salegen"
	"seckill/wal"
)

// BenchmarkBuyPathUnderPush measures what the buy path pays for the live
// push: shard-like goroutines append wins made by the real engine core in
// group commits of 16 (synced, as the shard loops do) while a pusher
// drains a backlog of 100,000 wins to a mall that is absent, fast, failing
// or stalling. Compare wins/s across the sub-benchmarks; pushed/s shows the
// pusher was busy meanwhile.
func BenchmarkBuyPathUnderPush(b *testing.B) {
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer fast.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	stalling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a gone client only once the body is read
		<-r.Context().Done()
	}))
	defer stalling.Close()
	for _, tc := range []struct{ name, url string }{
		{"no-push", ""},
		{"fast-mall", fast.URL},
		{"failing-mall", failing.URL},
		{"stalling-mall", stalling.URL},
	} {
		b.Run(tc.name, func(b *testing.B) {
			l, err := wal.Open(b.TempDir(), wal.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			if _, err := salegen.Fill(l, salegen.Options{Activity: "backlog", SKUs: []string{"a", "b"}, PerSKU: 50_000}); err != nil {
				b.Fatal(err)
			}
			key, err := l.TicketKey()
			if err != nil {
				b.Fatal(err)
			}
			var p *Pusher
			if tc.url != "" {
				p, err = New(l, Options{URL: tc.url, Secret: testSecret, Batch: 500, Timeout: 200 * time.Millisecond, MaxAttempts: 1000,
					Backoff: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
				if err != nil {
					b.Fatal(err)
				}
				p.Start()
				defer p.Stop()
			}
			var shardN atomic.Int32
			b.SetParallelism(8) // 8 shards per CPU
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := shardN.Add(1)
				s := engine.NewShard(engine.Spec{Activity: "live", SKU: string(rune('a' + i)), Index: i, Quota: 1 << 40, EndUnixNano: 1 << 62},
					engine.NewTicketSigner(key), nil, nil)
				wins := make([]engine.Win, 16)
				uid := uint64(0)
				for pb.Next() {
					now := time.Now().UnixNano()
					for j := range wins {
						uid++
						d := s.Step(&engine.Attempt{Kind: engine.Buy, UID: uid, NowUnixNano: now})
						s.WinAt(d.Seq, &wins[j])
					}
					if err := l.AppendWins(wins); err != nil {
						b.Error(err)
						return
					}
					s.MarkDurable(s.Sold())
					if p != nil {
						select {
						case p.Notify() <- struct{}{}:
						default:
						}
					}
				}
			})
			b.ReportMetric(float64(16*b.N)/b.Elapsed().Seconds(), "wins/s")
			if p != nil {
				b.ReportMetric(float64(p.Counters().Delivered.Load())/b.Elapsed().Seconds(), "pushed/s")
			}
		})
	}
}

// BenchmarkDrain pushes a backlog of 100,000 wins to a mall that answers at
// once, in batches of 500: records/s is the pusher's rate, and with
// -cpu 1 its inverse bounds the CPU one pushed record costs (the pusher
// and the in-process mall share the one CPU).
func BenchmarkDrain(b *testing.B) {
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer fast.Close()
	l, err := wal.Open(b.TempDir(), wal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if _, err := salegen.Fill(l, salegen.Options{Activity: "backlog", SKUs: []string{"a", "b", "c", "d"}, PerSKU: 25_000}); err != nil {
		b.Fatal(err)
	}
	p, err := New(l, Options{URL: fast.URL, Secret: testSecret, Batch: 500, Timeout: time.Second, MaxAttempts: 10, Backoff: time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	var n uint64
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Requeue(ScopeAll); err != nil {
			b.Fatal(err)
		}
		rep, err := p.Drain(context.Background())
		if err != nil || rep.Delivered != 100_000 {
			b.Fatalf("%+v %v", rep, err)
		}
		n += rep.Delivered
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
