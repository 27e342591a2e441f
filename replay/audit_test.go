package replay

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"seckill/engine"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
	"seckill/internal/testkit/loggen"
	"seckill/internal/testkit/waltest"
	"seckill/wal"
)

const act = "gen"

// generate writes a synthetic sale (real engine core, real wal) and
// returns its directory.
func generate(t *testing.T, o loggen.Options) string {
	t.Helper()
	o.Dir = filepath.Join(t.TempDir(), "store")
	o.Batch = 7 // several commits per SKU
	if _, err := loggen.Generate(o); err != nil {
		t.Fatal(err)
	}
	return o.Dir
}

func audit(t *testing.T, dir string, opts Options) *Report {
	t.Helper()
	l, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep, err := Audit(l, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// findings lists a report's failing checks as check → "sku#seq" of each
// listed offense ("sku#0" for one about a whole SKU, "-" for an activity).
func findings(rep *Report) map[string][]string {
	out := map[string][]string{}
	for _, c := range rep.Checks {
		if c.Pass {
			continue
		}
		for _, o := range c.Records {
			k := "-"
			if o.SKU != "" {
				k = fmt.Sprintf("%s#%d", o.SKU, o.Seq)
			}
			out[c.Name] = append(out[c.Name], k)
		}
	}
	return out
}

func fmtFindings(f map[string][]string) string {
	var names []string
	for n := range f {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%v ", n, f[n])
	}
	return b.String()
}

// headOf returns the seq and hash the head marker of sku names.
func headOf(t *testing.T, s *waltest.Store, sku string) (uint64, [32]byte) {
	t.Helper()
	seq, hash, ok := s.Head(act, sku)
	if !ok {
		t.Fatalf("no head marker for %s", sku)
	}
	return seq, hash
}

// forge appends a record after the head of sku that passes every integrity
// check — chained, hashed, its ticket signed with the store's key (which a
// forger with the disk has) and the head marker moved over it — so that only
// the policy checks, or a published digest, can catch it.
func forge(t *testing.T, s *waltest.Store, seed uint64, sku string, edit func(w *engine.Win)) engine.Win {
	t.Helper()
	seq, hash := headOf(t, s, sku)
	last := s.Win(act, sku, seq)
	w := engine.Win{Activity: act, SKU: sku, Seq: seq + 1, UID: 1 << 50, TimeUnixNano: last.TimeUnixNano + 1e6, Client: last.Client, Prev: hash}
	edit(&w)
	w.Ticket = engine.NewTicketSigner(loggen.TicketKey(seed)).Sign(w.Activity, w.SKU, w.Seq, w.UID)
	w.Hash = engine.ComputeHash(&w)
	s.PutWin(&w)
	s.SetHead(act, sku, w.Seq, w.Hash)
	return w
}

func TestAuditCleanSale(t *testing.T) {
	for _, o := range []loggen.Options{
		{Wins: 60, SKUs: 3, Seed: 1},
		{Wins: 60, SKUs: 3, Seed: 2, Limit: "activity", Reservation: true, ReleasePerSec: 4, Changes: true},
	} {
		dir := generate(t, o)
		rep := audit(t, dir, Options{})
		if !rep.OK || rep.Records != 60 || len(findings(rep)) != 0 || len(rep.TruncatedTails) != 0 {
			t.Fatalf("%+v: ok %v, %d records, findings %s, truncated %v", o, rep.OK, rep.Records, fmtFindings(findings(rep)), rep.TruncatedTails)
		}
		var winners uint64
		for _, r := range rep.SKUs {
			winners += r.Winners
			if r.Quota != 20 || r.Winners != 20 || r.ChainHead == "" || r.PeakPerSec == 0 {
				t.Fatalf("row %+v", r)
			}
			if o.ReleasePerSec > 0 && r.PeakPerSec > uint64(o.ReleasePerSec) {
				t.Fatalf("peak %d over release %d in a clean sale", r.PeakPerSec, o.ReleasePerSec)
			}
		}
		if winners != 60 || len(rep.Digests) != 1 || rep.Digests[0].Digest != rep.Digests[0].Committed {
			t.Fatalf("winners %d, digests %+v", winners, rep.Digests)
		}
		if len(rep.Configs) != 1 {
			t.Fatalf("configs %+v", rep.Configs)
		}
		wantControls := uint64(0) // per SKU
		if o.Reservation {
			wantControls++ // the configured list
		}
		if o.Changes {
			wantControls += 3 // pause, the new list, resume
		}
		if rep.ControlRecords != 3*wantControls {
			t.Fatalf("%d control records, want %d", rep.ControlRecords, 3*wantControls)
		}
	}
}

// TestAuditTamper tampers with a sale's store in each way an edit can take
// and checks that the audit names exactly the records concerned, in exactly
// the checks concerned — and that a truncated tail is told apart.
func TestAuditTamper(t *testing.T) {
	const seed = 7
	gen := loggen.Options{Wins: 40, SKUs: 2, Stock: 30, Seed: seed}
	var n uint64 // sku-0000's last seq, set per case
	tests := []struct {
		name   string
		tamper func(t *testing.T, s *waltest.Store)
		want   func() map[string][]string
		trunc  func() []Truncation
	}{
		{"clean", func(*testing.T, *waltest.Store) {}, nil, nil},
		{"edit uid without rehash", func(t *testing.T, s *waltest.Store) {
			w := s.Win(act, "sku-0000", 5)
			w.UID = 1 << 60
			s.PutWin(&w)
		}, func() map[string][]string {
			return map[string][]string{"chain": {"sku-0000#5"}, "tickets": {"sku-0000#5"}}
		}, nil},
		{"edit uid and rehash", func(t *testing.T, s *waltest.Store) {
			w := s.Win(act, "sku-0000", 5)
			w.UID = 1 << 60
			w.Hash = engine.ComputeHash(&w)
			s.PutWin(&w)
		}, func() map[string][]string {
			// The record now hashes right, but its ticket is for the old
			// uid, and the next record's prev still names the old hash.
			return map[string][]string{"tickets": {"sku-0000#5"}, "chain": {"sku-0000#6"}}
		}, nil},
		{"edit client without rehash", func(t *testing.T, s *waltest.Store) {
			w := s.Win(act, "sku-0000", 5)
			w.Client = w.Client.Next()
			s.PutWin(&w)
		}, func() map[string][]string { return map[string][]string{"chain": {"sku-0000#5"}} }, nil},
		{"delete a middle record", func(t *testing.T, s *waltest.Store) {
			s.DeleteWin(act, "sku-0000", 5)
		}, func() map[string][]string {
			return map[string][]string{"seq": {"sku-0000#6"}, "chain": {"sku-0000#6"}}
		}, nil},
		{"swap two records", func(t *testing.T, s *waltest.Store) {
			k3, k7 := waltest.WinKey(act, "sku-0000", 3), waltest.WinKey(act, "sku-0000", 7)
			v3, v7 := s.Raw(k3), s.Raw(k7)
			s.SetRaw(k3, v7)
			s.SetRaw(k7, v3)
		}, func() map[string][]string {
			// Each misplaced record is out of seq and off the chain, and
			// so is the chain's link into the record after each.
			return map[string][]string{"seq": {"sku-0000#3", "sku-0000#7"}, "chain": {"sku-0000#3", "sku-0000#4", "sku-0000#7", "sku-0000#8"}}
		}, nil},
		{"damage a middle record", func(t *testing.T, s *waltest.Store) {
			k := waltest.WinKey(act, "sku-0000", 5)
			s.SetRaw(k, s.Raw(k)[:40])
		}, func() map[string][]string { return map[string][]string{"chain": {"sku-0000#5"}} }, nil},
		{"insert a forged record beyond the head", func(t *testing.T, s *waltest.Store) {
			seq, hash := headOf(t, s, "sku-0000")
			w := s.Win(act, "sku-0000", seq)
			w.Seq, w.UID, w.Prev = seq+1, 1<<60, hash
			w.Ticket = [16]byte{1} // no key: the forger guesses
			w.Hash = engine.ComputeHash(&w)
			s.PutWin(&w)
		}, func() map[string][]string {
			return map[string][]string{"tickets": {fmt.Sprintf("sku-0000#%d", n+1)}, "digest": {fmt.Sprintf("sku-0000#%d", n+1)}}
		}, nil},
		{"rewrite the last record, rehashed", func(t *testing.T, s *waltest.Store) {
			w := s.Win(act, "sku-0000", n)
			w.UID = 1 << 60
			w.Hash = engine.ComputeHash(&w)
			s.PutWin(&w)
		}, func() map[string][]string {
			last := fmt.Sprintf("sku-0000#%d", n)
			return map[string][]string{"tickets": {last}, "digest": {last}}
		}, nil},
		{"delete a head marker", func(t *testing.T, s *waltest.Store) {
			s.DeleteHead(act, "sku-0000")
		}, func() map[string][]string { return map[string][]string{"digest": {"sku-0000#0"}} }, nil},
		{"truncate the tail", func(t *testing.T, s *waltest.Store) {
			for seq := n - 2; seq <= n; seq++ {
				s.DeleteWin(act, "sku-0000", seq)
			}
		}, nil, func() []Truncation { return []Truncation{{Activity: act, SKU: "sku-0000", LastSeq: n - 3, HeadSeq: n}} }},
		{"last record partly written", func(t *testing.T, s *waltest.Store) {
			k := waltest.WinKey(act, "sku-0000", n)
			s.SetRaw(k, s.Raw(k)[:60])
		}, nil, func() []Truncation {
			return []Truncation{{Activity: act, SKU: "sku-0000", LastSeq: n - 1, HeadSeq: n, Partial: true}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := generate(t, gen)
			s := waltest.Open(t, dir)
			n, _ = headOf(t, s, "sku-0000")
			tc.tamper(t, s)
			s.Close()
			rep := audit(t, dir, Options{})
			want := map[string][]string{}
			if tc.want != nil {
				want = tc.want()
			}
			var trunc []Truncation
			if tc.trunc != nil {
				trunc = tc.trunc()
			}
			got := findings(rep)
			if fmtFindings(got) != fmtFindings(want) {
				t.Fatalf("findings %s\nwant     %s", fmtFindings(got), fmtFindings(want))
			}
			if fmt.Sprint(rep.TruncatedTails) != fmt.Sprint(append([]Truncation{}, trunc...)) {
				t.Fatalf("truncated %+v, want %+v", rep.TruncatedTails, trunc)
			}
			if rep.OK != (len(want) == 0 && len(trunc) == 0) {
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

// TestAuditForgedWithKey: a forger with the disk, and so with the ticket
// key, can append a record the log alone cannot tell from a real one; the
// digest published after the sale is what catches it.
func TestAuditForgedWithKey(t *testing.T) {
	const seed = 3
	dir := generate(t, loggen.Options{Wins: 20, SKUs: 2, Stock: 30, Seed: seed})
	published := audit(t, dir, Options{}).Digests[0].Digest
	s := waltest.Open(t, dir)
	forge(t, s, seed, "sku-0001", func(*engine.Win) {})
	s.Close()
	if rep := audit(t, dir, Options{}); !rep.OK {
		t.Fatalf("a fully forged record was caught without the published digest: %s", fmtFindings(findings(rep)))
	}
	rep := audit(t, dir, Options{Published: map[string]string{act: published}})
	if got := fmtFindings(findings(rep)); got != "digest=[-] " || rep.OK {
		t.Fatalf("with the published digest: %s", got)
	}
	rep = audit(t, dir, Options{Published: map[string]string{"other": published}})
	if got := fmtFindings(findings(rep)); got != "digest=[-] " {
		t.Fatalf("digest published for an activity the log lacks: %s", got)
	}
}

// policyEnv is what a policy case knows of the sale before it forges.
type policyEnv struct {
	hist  []auditlog.Config
	lists []*uidset.Set // the reservation lists sku-0000's control records put in force, in order
}

func (e *policyEnv) last() *auditlog.Config { return &e.hist[len(e.hist)-1] }

// TestAuditPolicy appends records that pass every integrity check (forged
// with the key, head marker moved) but break a rule of the sale, and checks
// that the rule's own check — and only it — names them, using the config
// record in force at each record's time.
func TestAuditPolicy(t *testing.T) {
	const seed = 11
	tests := []struct {
		name string
		gen  loggen.Options
		// forge returns the records it expects to be named, per check.
		forge func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string
	}{
		{"win after the end", loggen.Options{Wins: 20, SKUs: 2, Stock: 30}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			w := forge(t, s, seed, "sku-0000", func(w *engine.Win) { w.TimeUnixNano = env.last().EndUnixNano })
			return map[string][]string{"window": {fmt.Sprintf("sku-0000#%d", w.Seq)}}
		}},
		{"win before the start", loggen.Options{Wins: 20, SKUs: 2, Stock: 30}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			w := forge(t, s, seed, "sku-0000", func(w *engine.Win) { w.TimeUnixNano = env.hist[0].StartUnixNano - 1 })
			return map[string][]string{"window": {fmt.Sprintf("sku-0000#%d", w.Seq)}}
		}},
		{"win before any config", loggen.Options{Wins: 20, SKUs: 2, Stock: 30}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			w := forge(t, s, seed, "sku-0000", func(w *engine.Win) { w.TimeUnixNano = env.hist[0].TimeUnixNano - 1 })
			return map[string][]string{"config": {fmt.Sprintf("sku-0000#%d", w.Seq)}}
		}},
		{"over the quota", loggen.Options{Wins: 20, SKUs: 2}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			w := forge(t, s, seed, "sku-0001", func(*engine.Win) {})
			return map[string][]string{"quota": {fmt.Sprintf("sku-0001#%d", w.Seq)}}
		}},
		{"uid twice in a sku", loggen.Options{Wins: 20, SKUs: 2, Stock: 30}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			first := s.Win(act, "sku-0000", 1)
			w := forge(t, s, seed, "sku-0000", func(w *engine.Win) { w.UID = first.UID })
			return map[string][]string{"limit": {fmt.Sprintf("sku-0000#%d", w.Seq)}}
		}},
		{"uid in two skus, limit activity", loggen.Options{Wins: 20, SKUs: 2, Stock: 30, Limit: "activity"}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			first := s.Win(act, "sku-0000", 1)
			w := forge(t, s, seed, "sku-0001", func(w *engine.Win) { w.UID = first.UID })
			return map[string][]string{"limit": {fmt.Sprintf("sku-0001#%d", w.Seq)}}
		}},
		{"uid in two skus, limit sku", loggen.Options{Wins: 20, SKUs: 2, Stock: 30, Limit: "sku"}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			first := s.Win(act, "sku-0000", 1)
			forge(t, s, seed, "sku-0001", func(w *engine.Win) { w.UID = first.UID })
			return nil
		}},
		{"not reserved", loggen.Options{Wins: 20, SKUs: 2, Stock: 30, Reservation: true}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			w := forge(t, s, seed, "sku-0000", func(w *engine.Win) { w.UID = 1 << 50 })
			return map[string][]string{"reservation": {fmt.Sprintf("sku-0000#%d", w.Seq)}}
		}},
		{"after a swap, reserved only in the new list", loggen.Options{Wins: 20, SKUs: 2, Stock: 30, Reservation: true, Changes: true}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			uid := onlyInOneList(t, s, env, 1)
			forge(t, s, seed, "sku-0000", func(w *engine.Win) { w.UID = uid })
			return nil
		}},
		{"after a swap, reserved only in the replaced list", loggen.Options{Wins: 20, SKUs: 2, Stock: 30, Reservation: true, Changes: true}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			uid := onlyInOneList(t, s, env, 0)
			w := forge(t, s, seed, "sku-0000", func(w *engine.Win) { w.UID = uid })
			return map[string][]string{"reservation": {fmt.Sprintf("sku-0000#%d", w.Seq)}}
		}},
		{"win while paused", loggen.Options{Wins: 20, SKUs: 2, Stock: 30}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			forgeControl(t, s, "sku-0000", engine.Control{Kind: engine.ControlPause})
			w := forge(t, s, seed, "sku-0000", func(*engine.Win) {})
			return map[string][]string{"paused": {fmt.Sprintf("sku-0000#%d", w.Seq)}}
		}},
		{"no reservation list in force", loggen.Options{Wins: 20, SKUs: 2, Stock: 30, Reservation: true}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			// Remove the SKU's only control record (the configured list)
			// and its head marker, so nothing put a list in force: every
			// win is named.
			if c := s.Control(act, "sku-0000", 1); c.Kind != engine.ControlReservations {
				t.Fatalf("first control is %v", c.Kind)
			}
			s.DeleteControl(act, "sku-0000", 1)
			s.DeleteMetaPrefix(wal.ControlHeadMetaKey(act, "sku-0000"))
			var named []string
			last, _ := headOf(t, s, "sku-0000")
			for seq := uint64(1); seq <= last; seq++ {
				named = append(named, fmt.Sprintf("sku-0000#%d", seq))
			}
			return map[string][]string{"reservation": named}
		}},
		{"over release_per_sec", loggen.Options{Wins: 20, SKUs: 1, Stock: 40, ReleasePerSec: 3}, func(t *testing.T, s *waltest.Store, env *policyEnv) map[string][]string {
			seq, _ := headOf(t, s, "sku-0000")
			next := (s.Win(act, "sku-0000", seq).TimeUnixNano/1e9 + 5) * 1e9
			var last engine.Win
			for i := range 5 {
				last = forge(t, s, seed, "sku-0000", func(w *engine.Win) { w.UID, w.TimeUnixNano = 1<<50+uint64(i), next+int64(i) })
			}
			return map[string][]string{"release_rate": {fmt.Sprintf("sku-0000#%d", last.Seq-1), fmt.Sprintf("sku-0000#%d", last.Seq)}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.gen.Seed = seed
			dir := generate(t, tc.gen)
			l, err := wal.Open(dir, wal.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			hist, _, err := auditlog.LoadHistory(l)
			if err != nil {
				t.Fatal(err)
			}
			env := &policyEnv{hist: hist[act]}
			var digests [][32]byte
			if err := l.ScanControls(func(r *wal.ControlRecord) error {
				if r.SKU == "sku-0000" && r.Control.Kind == engine.ControlReservations {
					digests = append(digests, r.Control.Digest)
				}
				return r.Err
			}); err != nil {
				t.Fatal(err)
			}
			for _, d := range digests {
				set, err := auditlog.LoadReservations(l, hex.EncodeToString(d[:]))
				if err != nil {
					t.Fatal(err)
				}
				env.lists = append(env.lists, set)
			}
			l.Close()
			s := waltest.Open(t, dir)
			want := tc.forge(t, s, env)
			s.Close()
			rep := audit(t, dir, Options{})
			if want == nil {
				want = map[string][]string{}
			}
			if got := findings(rep); fmtFindings(got) != fmtFindings(want) {
				t.Fatalf("findings %s\nwant     %s", fmtFindings(got), fmtFindings(want))
			}
			for _, c := range rep.Checks {
				for _, o := range c.Records {
					t.Logf("%s: %s", c.Name, o)
				}
			}
		})
	}
}

// onlyInOneList returns a uid that is in reservation list which (0: the
// configured one, 1: the one that replaced it) but not in the other, and
// that has not won sku-0000.
func onlyInOneList(t *testing.T, s *waltest.Store, env *policyEnv, which int) uint64 {
	t.Helper()
	if len(env.lists) != 2 {
		t.Fatalf("%d reservation lists in force over the sale, want 2", len(env.lists))
	}
	won := map[uint64]bool{}
	last, _ := headOf(t, s, "sku-0000")
	for seq := uint64(1); seq <= last; seq++ {
		won[s.Win(act, "sku-0000", seq).UID] = true
	}
	in, other := env.lists[which], env.lists[1-which]
	for _, uid := range in.Sorted() {
		if !other.Contains(uid) && !won[uid] {
			return uid
		}
	}
	t.Fatal("no uid only in that list")
	return 0
}

// forgeControl appends a control record to sku's strand after its last win
// that passes every integrity check (chained to both strands, hashed, head
// marker moved), as a forger with the disk would.
func forgeControl(t *testing.T, s *waltest.Store, sku string, c engine.Control) engine.Control {
	t.Helper()
	wseq, whash := headOf(t, s, sku)
	cseq, chash, _ := s.ControlHead(act, sku)
	c.Activity, c.SKU = act, sku
	c.Seq, c.Prev = cseq+1, chash
	c.AfterWins, c.WinHead = wseq, whash
	c.TimeUnixNano = s.Win(act, sku, wseq).TimeUnixNano
	c.Hash = engine.ComputeControlHash(&c)
	s.PutControl(&c)
	s.SetControlHead(act, sku, c.Seq, c.Hash)
	return c
}

// TestAuditListsAreCapped: a check lists at most MaxListed records but
// counts them all; here every win lacks a config record.
func TestAuditListsAreCapped(t *testing.T) {
	dir := generate(t, loggen.Options{Wins: 30, SKUs: 2, Seed: 5})
	s := waltest.Open(t, dir)
	s.DeleteMetaPrefix("audit.config/")
	s.Close()
	rep := audit(t, dir, Options{MaxListed: 4})
	for _, c := range rep.Checks {
		switch {
		case c.Name == "config" && (c.Pass || c.Offending != 30 || len(c.Records) != 4):
			t.Fatalf("config check: %+v", c)
		case c.Name != "config" && !c.Pass:
			t.Fatalf("%s failed: %+v", c.Name, c.Records)
		}
	}
	if rep.SKUs[0].Quota != 0 || rep.SKUs[0].Winners != 15 {
		t.Fatalf("row without config %+v", rep.SKUs[0])
	}
}

func TestSecondCounter(t *testing.T) {
	tests := []struct {
		name  string
		times []int64 // seconds
		want  []uint64
		peak  uint64
	}{
		{"forward", []int64{1, 1, 2, 2, 2, 5}, []uint64{1, 2, 1, 2, 3, 1}, 3},
		{"clock steps back into a finished second", []int64{1, 1, 2, 1, 2, 3}, []uint64{1, 2, 1, 3, 2, 1}, 3},
		{"before 1970", []int64{-2, -1, -1}, []uint64{1, 1, 2}, 2},
	}
	for _, tc := range tests {
		var c secondCounter
		for i, s := range tc.times {
			ns := s*1e9 + int64(i)*1000
			if got := c.add(ns); got != tc.want[i] {
				t.Fatalf("%s: add #%d (second %d) = %d, want %d", tc.name, i, s, got, tc.want[i])
			}
		}
		if c.peak != tc.peak {
			t.Fatalf("%s: peak %d, want %d", tc.name, c.peak, tc.peak)
		}
	}
}

// TestAuditSameForAnyWorkers: chains are audited in parallel, but the
// report — findings, their order, the capped lists — must not depend on it.
func TestAuditSameForAnyWorkers(t *testing.T) {
	dir := generate(t, loggen.Options{Wins: 300, SKUs: 12, Stock: 40, Seed: 13, Limit: "activity", Reservation: true, ReleasePerSec: 50})
	s := waltest.Open(t, dir)
	for i := 0; i < 12; i += 2 { // a fault in every other chain
		sku := fmt.Sprintf("sku-%04d", i)
		w := s.Win(act, sku, 2)
		w.UID = s.Win(act, fmt.Sprintf("sku-%04d", i+1), 1).UID // also breaks the activity limit
		s.PutWin(&w)
	}
	s.DeleteWin(act, "sku-0011", 3)
	s.Close()
	var first string
	for _, workers := range []int{1, 2, 3, 8} {
		rep := audit(t, dir, Options{Workers: workers, MaxListed: 5})
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if workers == 1 {
			first = string(b)
			if rep.OK || len(findings(rep)["chain"]) != 5 {
				t.Fatalf("tampered log: %s", fmtFindings(findings(rep)))
			}
			continue
		}
		if string(b) != first {
			t.Fatalf("report with %d workers differs from 1 worker:\n%s\n%s", workers, b, first)
		}
	}
}

// TestAuditMissingEvidence: when the store lacks what a check needs — the
// reservation list a config record names, or a config record that decodes —
// the check fails and says why, rather than passing blind.
func TestAuditMissingEvidence(t *testing.T) {
	dir := generate(t, loggen.Options{Wins: 30, SKUs: 2, Seed: 6, Reservation: true})
	s := waltest.Open(t, dir)
	s.DeleteMetaPrefix("audit.resv/")
	s.SetRaw([]byte("maudit.config/gen/0000000000000009"), []byte("{torn"))
	s.Close()
	rep := audit(t, dir, Options{})
	for _, c := range rep.Checks {
		switch c.Name {
		case "reservation":
			if c.Pass || c.Offending != 30 || !strings.Contains(c.Records[0].Reason, "not stored") {
				t.Fatalf("reservation check without the list: %+v", c)
			}
		case "config":
			if c.Pass || c.Offending != 1 || !strings.Contains(c.Records[0].Reason, "0000000000000009") {
				t.Fatalf("config check with a torn record: %+v", c)
			}
		default:
			if !c.Pass {
				t.Fatalf("%s failed: %+v", c.Name, c.Records)
			}
		}
	}
}
