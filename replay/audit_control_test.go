package replay

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
	"seckill/internal/testkit/loggen"
	"seckill/internal/testkit/waltest"
	"seckill/wal"
)

// TestAuditControlTamper: every control record removed, reordered, edited,
// moved or added is found; a strand rewritten consistently is caught by the
// published digest. The sale's SKUs each hold four control records: the
// configured list (after win 0), a pause, a new list and a resume (after
// the same win, halfway).
func TestAuditControlTamper(t *testing.T) {
	const seed = 9
	gen := loggen.Options{Wins: 40, SKUs: 2, Stock: 30, Seed: seed, Reservation: true, Changes: true}
	tests := []struct {
		name string
		// tamper changes sku-0000's controls; want names the checks that
		// must fail (each with sku-0000 records only), trunc the
		// truncation expected.
		tamper func(t *testing.T, s *waltest.Store)
		want   []string
		trunc  []Truncation
	}{
		{"clean", func(*testing.T, *waltest.Store) {}, nil, nil},
		{"a middle control removed", func(t *testing.T, s *waltest.Store) {
			s.DeleteControl(act, "sku-0000", 2)
		}, []string{"chain"}, nil},
		{"two controls swapped", func(t *testing.T, s *waltest.Store) {
			k2, k3 := waltest.ControlKey(act, "sku-0000", 2), waltest.ControlKey(act, "sku-0000", 3)
			v2, v3 := s.Raw(k2), s.Raw(k3)
			s.SetRaw(k2, v3)
			s.SetRaw(k3, v2)
		}, []string{"chain"}, nil},
		{"a control's kind edited", func(t *testing.T, s *waltest.Store) {
			c := s.Control(act, "sku-0000", 2)
			c.Kind = engine.ControlResume
			s.PutControl(&c)
		}, []string{"chain"}, nil},
		{"the pause moved before the first win, rehashed", func(t *testing.T, s *waltest.Store) {
			c := s.Control(act, "sku-0000", 2)
			c.AfterWins, c.WinHead = 0, [32]byte{}
			c.Hash = engine.ComputeControlHash(&c)
			s.PutControl(&c)
		}, []string{"chain", "paused"}, nil},
		{"a control forged beyond the head marker", func(t *testing.T, s *waltest.Store) {
			seq, hash, _ := s.ControlHead(act, "sku-0000")
			wseq, whash := headOf(t, s, "sku-0000")
			c := engine.Control{Activity: act, SKU: "sku-0000", Seq: seq + 1, Prev: hash, AfterWins: wseq, WinHead: whash, Kind: engine.ControlPause}
			c.Hash = engine.ComputeControlHash(&c)
			s.PutControl(&c)
		}, []string{"digest"}, nil},
		{"the control head marker removed", func(t *testing.T, s *waltest.Store) {
			s.DeleteMetaPrefix(wal.ControlHeadMetaKey(act, "sku-0000"))
		}, []string{"digest"}, nil},
		{"the last control removed", func(t *testing.T, s *waltest.Store) {
			// The resume: the strand ends before its marker, and the
			// wins after the resume's place now stand after a pause.
			s.DeleteControl(act, "sku-0000", 4)
		}, []string{"paused"}, []Truncation{{Activity: act, SKU: "sku-0000", LastSeq: 3, HeadSeq: 4, Controls: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := generate(t, gen)
			s := waltest.Open(t, dir)
			if c := s.Control(act, "sku-0000", 2); c.Kind != engine.ControlPause || c.AfterWins == 0 {
				t.Fatalf("control 2 is %v after win %d, want a pause halfway", c.Kind, c.AfterWins)
			}
			tc.tamper(t, s)
			s.Close()
			rep := audit(t, dir, Options{})
			got := findings(rep)
			var names []string
			for name, recs := range got {
				names = append(names, name)
				for _, r := range recs {
					if r[:len("sku-0000")] != "sku-0000" {
						t.Errorf("%s names %s, which was not touched", name, r)
					}
				}
			}
			slices.Sort(names)
			if !slices.Equal(names, tc.want) {
				t.Fatalf("failing checks %v, want %v: %s", names, tc.want, fmtFindings(got))
			}
			if !slices.Equal(rep.TruncatedTails, tc.trunc) && !(len(rep.TruncatedTails) == 0 && len(tc.trunc) == 0) {
				t.Fatalf("truncated %+v, want %+v", rep.TruncatedTails, tc.trunc)
			}
			if rep.OK != (len(tc.want) == 0 && len(tc.trunc) == 0) {
				t.Fatalf("OK = %v", rep.OK)
			}
			for _, c := range rep.Checks {
				for _, o := range c.Records {
					t.Logf("%s: %s", c.Name, o)
				}
			}
		})
	}
}

// TestAuditControlRewriteNeedsDigest: a forger with the disk who rewrites a
// whole control strand consistently (records rehashed, head marker moved)
// leaves a log that checks; the digest published after the sale catches it.
func TestAuditControlRewriteNeedsDigest(t *testing.T) {
	dir := generate(t, loggen.Options{Wins: 20, SKUs: 2, Stock: 30, Seed: 4, Changes: true})
	published := audit(t, dir, Options{}).Digests[0].Digest
	s := waltest.Open(t, dir)
	// Drop the pause and the resume of sku-0001: as if never paused.
	s.DeleteControl(act, "sku-0001", 1)
	s.DeleteControl(act, "sku-0001", 2)
	s.DeleteMetaPrefix(wal.ControlHeadMetaKey(act, "sku-0001"))
	s.Close()
	if rep := audit(t, dir, Options{}); !rep.OK {
		t.Fatalf("a consistent rewrite was caught without the digest: %s", fmtFindings(findings(rep)))
	}
	rep := audit(t, dir, Options{Published: map[string]string{act: published}})
	if got := fmtFindings(findings(rep)); got != "digest=[-] " || rep.OK {
		t.Fatalf("with the published digest: %s", got)
	}
}

// TestAuditJudgesSwapAsLive runs a sale through the real shard loop with a
// clock that never moves — every attempt and the reservation swap share one
// timestamp, so no wall-clock rule could order them — and checks that the
// audit judges each win by the list the shard had in force when it decided
// it: a buy right before the swap by the old list, right after by the new.
func TestAuditJudgesSwapAsLive(t *testing.T) {
	dir := t.TempDir()
	log, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := log.TicketKey()
	const now = int64(1_700_000_000) * 1e9
	cfg := &auditlog.Config{Version: auditlog.Version, Activity: act, Reason: auditlog.ReasonStart, TimeUnixNano: now - 1e9,
		StartUnixNano: now - 1e9, EndUnixNano: now + 3600e9, Limit: "sku", Reservation: "required",
		Items: []auditlog.Item{{SKU: "s", Stock: 10, Quota: 10, QuotaPercent: 100}}}
	rec, _ := auditlog.NewRecorder(log)
	if _, err := rec.Record(cfg); err != nil {
		t.Fatal(err)
	}
	// uid 1 only in the old list, 2 only in the new, 3 in both, 4 only old.
	old, cur := uidset.FromSlice([]uint64{1, 3, 4}), uidset.FromSlice([]uint64{2, 3})
	for _, set := range []*uidset.Set{old, cur} {
		if err := auditlog.StoreReservations(log, set); err != nil {
			t.Fatal(err)
		}
	}
	spec := engine.Spec{Activity: act, SKU: "s", Quota: 10, StartUnixNano: cfg.StartUnixNano, EndUnixNano: cfg.EndUnixNano, ReservationRequired: true}
	shard := engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil)
	start := engine.Control{Kind: engine.ControlReservations, Source: engine.SourceConfig, Digest: old.Digest(), Num: 3, Set: old, TimeUnixNano: now}
	if shard.Control(&start) != engine.ControlApplied || log.Append(nil, []engine.Control{start}) != nil {
		t.Fatal("configured list")
	}
	l := shardloop.New(shard, log, 64, 64, func() int64 { return now })
	replies := make(chanReplier, 8)
	buy := func(uid uint64) {
		if !l.Offer(shardloop.Task{Attempt: engine.Attempt{Kind: engine.Buy, UID: uid}, To: replies}) {
			t.Fatal("offer")
		}
	}
	buy(1) // right before the swap: the old list
	buy(2) // not yet
	swap, err := l.OfferControl(engine.Control{Kind: engine.ControlReservations, Digest: cur.Digest(), Num: 2, Set: cur})
	if err != nil || swap == nil {
		t.Fatal(err)
	}
	buy(2) // right after: the new list
	buy(4) // no longer
	buy(3) // in both
	go l.Run()
	if res := <-swap.Done(); res.Verdict != engine.ControlApplied {
		t.Fatalf("swap: %v", res.Verdict)
	}
	var results []engine.Result
	for range 5 {
		results = append(results, (<-replies).Result)
	}
	l.Close()
	<-l.Done()
	log.Close()
	want := []engine.Result{engine.Won, engine.NotReserved, engine.Won, engine.NotReserved, engine.Won}
	if !slices.Equal(results, want) {
		t.Fatalf("live decisions %v, want %v", results, want)
	}
	rep := audit(t, dir, Options{})
	if !rep.OK || rep.Records != 3 || rep.ControlRecords != 2 {
		t.Fatalf("audit of the sale: ok %v, %d records, %d controls: %s", rep.OK, rep.Records, rep.ControlRecords, fmtFindings(findings(rep)))
	}

	// The same log with the swap moved one win earlier (before uid 1's
	// win, rehashed, its place renamed): now uid 1 won under a list
	// without it, and the audit says so — it judges by place, not time.
	s := waltest.Open(t, dir)
	c := s.Control(act, "s", 2)
	c.AfterWins, c.WinHead = 0, [32]byte{}
	c.Hash = engine.ComputeControlHash(&c)
	s.PutControl(&c)
	s.SetControlHead(act, "s", c.Seq, c.Hash)
	s.Close()
	got := findings(audit(t, dir, Options{}))
	if fmtFindings(got) != fmtFindings(map[string][]string{"reservation": {"s#1"}}) {
		t.Fatalf("swap moved before win 1: %s", fmtFindings(got))
	}
}

type chanReplier chan engine.Decision

func (r chanReplier) Reply(d *engine.Decision) { r <- *d }

// nestingStore is the real store behind a probe: when a read starts while
// another read of the same audit worker is still open — a read lock taken
// inside a read lock — it makes a writer (Close) queue for the store's lock
// first, as a concurrent Close would. With sync.RWMutex the nested read
// then waits for the writer, which waits for the outer read: deadlock.
type nestingStore struct {
	*wal.Log
	open    atomic.Int32
	nested  atomic.Int32
	closing sync.Once
}

func (s *nestingStore) enter() func() {
	if s.open.Add(1) > 1 {
		s.nested.Add(1)
		s.closing.Do(func() {
			go s.Log.Close()
			time.Sleep(100 * time.Millisecond) // let Close queue for the lock
		})
	}
	return func() { s.open.Add(-1) }
}

func (s *nestingStore) ScanMeta(prefix string, fn func(key string, value []byte) error) error {
	defer s.enter()()
	return s.Log.ScanMeta(prefix, fn)
}

func (s *nestingStore) ScanRecordsIn(rg wal.RecordRange, fn func(r *wal.Record) error) error {
	defer s.enter()()
	return s.Log.ScanRecordsIn(rg, fn)
}

func (s *nestingStore) ScanControls(fn func(r *wal.ControlRecord) error) error {
	defer s.enter()()
	return s.Log.ScanControls(fn)
}

// TestAuditReadsNoStoreInsideAScan: the audit never reads the store (the
// reservation lists, above all) while a scan of it is open, so a Close that
// arrives meanwhile cannot deadlock it. With one worker every nested read
// is on the same goroutine.
func TestAuditReadsNoStoreInsideAScan(t *testing.T) {
	dir := generate(t, loggen.Options{Wins: 40, SKUs: 2, Stock: 30, Seed: 6, Reservation: true, Changes: true})
	l, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &nestingStore{Log: l}
	done := make(chan error, 1)
	go func() {
		_, err := Audit(s, Options{Workers: 1})
		done <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("audit deadlocked: a read of the store inside a scan met a queued Close")
	}
	if n := s.nested.Load(); n != 0 {
		t.Fatalf("%d reads of the store inside a scan", n)
	}
	l.Close()
}
