package shardloop

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"seckill/engine"
	"seckill/internal/testkit/syncfs"
	"seckill/wal"
)

// lockedReplier collects decisions from many shard goroutines.
type lockedReplier struct {
	mu  *sync.Mutex
	got *[]engine.Result
}

func (r lockedReplier) Reply(d *engine.Decision) {
	r.mu.Lock()
	*r.got = append(*r.got, d.Result)
	r.mu.Unlock()
}

// TestGroupCommitRepliesAfterFsync drives several shard loops over one
// wal.Committer on a real file system whose WAL fsync the test holds. No
// reply leaves while the fsync is held (DURABILITY ORDER); once it
// succeeds every attempt is won, and once it fails every attempt is
// unavailable and every shard is failed, remaining unchanged.
func TestGroupCommitRepliesAfterFsync(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("syncFails=%v", fail), func(t *testing.T) {
			fs := syncfs.Wrap(vfs.Default)
			log, err := wal.Open(t.TempDir(), wal.Options{FS: fs})
			if err != nil {
				t.Fatal(err)
			}
			defer log.Close()
			key, err := log.TicketKey()
			if err != nil {
				t.Fatal(err)
			}
			c := log.NewCommitter()
			const shards, perShard = 8, 3
			var mu sync.Mutex
			var got []engine.Result
			loops := make([]*Loop, shards)
			fs.Hold()
			for i := range loops {
				spec := engine.Spec{Activity: "act", SKU: fmt.Sprintf("sku-%d", i), Index: int32(i), Quota: 100, EndUnixNano: 1 << 62}
				loops[i] = New(engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil), c, 16, 16, func() int64 { return 1 })
				go loops[i].Run()
				for uid := uint64(1); uid <= perShard; uid++ {
					if !loops[i].Offer(Task{Attempt: engine.Attempt{Kind: engine.Buy, UID: uid}, To: lockedReplier{&mu, &got}}) {
						t.Fatal("offer refused")
					}
				}
			}
			<-fs.Entered
			time.Sleep(20 * time.Millisecond) // time for a wrong early reply to show
			mu.Lock()
			early := len(got)
			mu.Unlock()
			if early != 0 {
				t.Fatalf("%d replies left while the fsync of their wins was held", early)
			}
			fs.Release(fail)
			for _, l := range loops {
				l.Close()
				<-l.Done()
			}
			c.Close()
			want := engine.Won
			if fail {
				want = engine.Unavailable
			}
			if len(got) != shards*perShard {
				t.Fatalf("%d replies, want %d", len(got), shards*perShard)
			}
			for i, r := range got {
				if r != want {
					t.Fatalf("reply %d: %v, want %v", i, r, want)
				}
			}
			for i, l := range loops {
				wantRemaining := int64(100 - perShard)
				if fail {
					wantRemaining = 100
				}
				if l.Public().Failed() != fail || l.Public().Remaining() != wantRemaining {
					t.Errorf("shard %d: failed %v remaining %d", i, l.Public().Failed(), l.Public().Remaining())
				}
			}
		})
	}
}
