package shardloop

import (
	"testing"
	"time"

	"seckill/engine"
	"seckill/wal"
)

// TestOnDurable checks that the signal follows a durable commit and that a
// receiver that never reads does not hold the shard back.
func TestOnDurable(t *testing.T) {
	for _, tc := range []struct {
		name string
		read bool
	}{{"receiver reads", true}, {"receiver never reads", false}} {
		t.Run(tc.name, func(t *testing.T) {
			log, err := wal.Open(t.TempDir(), wal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer log.Close()
			key, err := log.TicketKey()
			if err != nil {
				t.Fatal(err)
			}
			store := &watchedStore{log: log, committed: map[uint64]bool{}}
			spec := engine.Spec{Activity: "act", SKU: "sku", Quota: 200, EndUnixNano: 1 << 62}
			l := New(engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil), store, 64, 16, func() int64 { return time.Now().UnixNano() })
			signal := make(chan struct{}, 1)
			l.OnDurable(signal)
			go l.Run()
			defer func() { l.Close(); <-l.Done() }()
			signals := make(chan int, 1)
			if tc.read {
				stop := make(chan struct{})
				defer close(stop)
				go func() {
					for n := 1; ; n++ {
						select {
						case <-stop:
							return
						case <-signal:
						}
						if !store.isCommitted(1) {
							t.Error("signalled before any win was durable")
						}
						if n == 1 {
							signals <- n
						}
					}
				}()
			}
			r := &checkingReplier{t: t, store: store, replies: make(chan engine.Decision, 1000)}
			uids := make([]uint64, 300)
			for i := range uids {
				uids[i] = uint64(i + 1)
			}
			offerAll(t, l, r, uids) // 200 wins in many commits: none may block
			if !tc.read {
				if len(signal) != 1 {
					t.Fatal("no pending signal after durable commits")
				}
				return
			}
			select {
			case <-signals:
			case <-time.After(5 * time.Second):
				t.Fatal("no signal after durable commits")
			}
		})
	}
}
