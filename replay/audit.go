package replay

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"seckill/engine"
	"seckill/internal/store/auditlog"
	"seckill/wal"
)

// ErrAudit reports an audit that could not run at all (as opposed to one
// that ran and found faults, which its Report lists).
var ErrAudit = errors.New("replay: audit")

// Options tunes Audit.
type Options struct {
	// Published maps an activity id to the digest the operator published
	// for it (lowercase hex); the digest check compares them.
	Published map[string]string
	// MaxListed caps the offending records listed per check; 0 means
	// DefaultMaxListed. Offending always counts them all.
	MaxListed int
	// Workers is how many chains are audited at once; 0 means GOMAXPROCS.
	// The report does not depend on it.
	Workers int
}

// DefaultMaxListed is how many offending records a check lists by default.
const DefaultMaxListed = 20

// maxAdoptGap bounds how many missing seqs the audit fills in to re-anchor
// after a gap when no head marker vouches for them, so that a forged record
// with a huge seq cannot make the audit allocate without bound.
const maxAdoptGap = 1 << 16

// AuditStore is what Audit reads; *wal.Log is one.
type AuditStore interface {
	TicketKey() ([]byte, error)
	ScanHeads(fn func(h *wal.Head) error, bad func(key string, err error) error) error
	ScanControlHeads(fn func(h *wal.Head) error, bad func(key string, err error) error) error
	ScanControls(fn func(r *wal.ControlRecord) error) error
	RecordRanges() ([]wal.RecordRange, error)
	ScanRecordsIn(rg wal.RecordRange, fn func(r *wal.Record) error) error
	auditlog.Store
}

// Audit replays the whole store through the engine core and checks every
// invariant of the sale, with nothing but the store: the winner and control
// records, the head markers, the config records and reservation lists
// (package auditlog), and the ticket key. Each SKU's records are Applied to
// a fresh engine.Shard built from the recorded config, as recovery does,
// each control record at the place the live shard decided it (after the win
// it names); unlike recovery, a record Apply refuses is reported with every
// fault Check finds in it and then adopted, so the audit goes on and one bad
// record shows as one finding. A win is judged against the pause and the
// reservation list the control records before it put in force — exactly
// what the live shard judged it by — and against the config record in force
// at its time for the window, release rate, quota and limit.
//
// Every read of the store is one scan at a time, never a scan inside
// another: the reservation lists are loaded before the chains are read. (A
// read nested in a scan takes the store's read lock twice, and deadlocks
// when a writer — Close — queues between the two.)
//
// Chains are independent, so they are audited in parallel (Options.Workers)
// and their findings merged in key order: the report is the same for any
// number of workers.
//
// Audit opens nothing: log is a store the caller opened (read-only, for an
// audit of a stopped engine). The error is for an audit that cannot run; a
// log that fails checks is a Report with OK false.
func Audit(log AuditStore, opts Options) (*Report, error) {
	if opts.MaxListed <= 0 {
		opts.MaxListed = DefaultMaxListed
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	key, err := log.TicketKey()
	if err != nil {
		return nil, fmt.Errorf("%w: ticket key: %w", ErrAudit, err)
	}
	a := &auditor{
		log:          log,
		opts:         opts,
		key:          key,
		acts:         map[string]*actState{},
		heads:        map[skuKey]*headState{},
		controlHeads: map[skuKey]*headState{},
		controls:     map[skuKey][]wal.ControlRecord{},
		rows:         map[skuKey]*SKURow{},
		lists:        map[[32]byte]*listEntry{},
		blocklists:   map[[32]byte]*blockEntry{},
	}
	for i := range a.checks {
		a.checks[i].max = opts.MaxListed
	}
	history, problems, err := auditlog.LoadHistory(log)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	for _, p := range problems {
		a.checks[CheckConfig].add(Offense{Reason: fmt.Sprintf("config record %s: %s", p.Key, p.Reason)})
	}
	for id, h := range history {
		a.act(id).setHistory(h)
	}
	err = log.ScanHeads(func(h *wal.Head) error {
		a.heads[skuKey{h.Activity, h.SKU}] = &headState{Head: *h}
		a.act(h.Activity)
		return nil
	}, func(key string, err error) error {
		a.checks[CheckDigest].add(Offense{Reason: fmt.Sprintf("head marker %q: %v", key, err)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: head markers: %w", ErrAudit, err)
	}
	if err := a.loadControls(); err != nil {
		return nil, fmt.Errorf("%w: control records: %w", ErrAudit, err)
	}
	ranges, err := log.RecordRanges()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	chains := a.plan(ranges)
	if err := a.run(chains); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	return a.finish(chains), nil
}

type skuKey struct{ activity, sku string }

type headState struct {
	wal.Head
	seen bool // some range starts with this chain
}

// auditor is the state of one Audit. During the parallel part (run) the
// chains only read it.
type auditor struct {
	log          AuditStore
	opts         Options
	key          []byte
	checks       [numChecks]checkList
	acts         map[string]*actState
	heads        map[skuKey]*headState
	controlHeads map[skuKey]*headState
	controls     map[skuKey][]wal.ControlRecord // every control record, by SKU, in seq order
	rows         map[skuKey]*SKURow
	lists        map[[32]byte]*listEntry // reservation lists the control records name
	blocklists   map[[32]byte]*blockEntry

	trunc []Truncation
}

// act returns the state of activity id, creating it. Not for use by chains.
func (a *auditor) act(id string) *actState {
	s := a.acts[id]
	if s == nil {
		s = &actState{id: id}
		a.acts[id] = s
	}
	return s
}

// row returns the table row of (act, sku), creating it. Not for use by
// chains, which get theirs from plan.
func (a *auditor) row(act, sku string) *SKURow {
	k := skuKey{act, sku}
	r := a.rows[k]
	if r == nil {
		r = &SKURow{Activity: act, SKU: sku}
		a.rows[k] = r
	}
	return r
}

// plan makes one chain audit per record range, and one per SKU that has
// control records but no winner record, with everything it needs to run
// without touching shared state: its activity, its row, its head markers,
// its control records, its index among the activity's chains.
func (a *auditor) plan(ranges []wal.RecordRange) []*chainAudit {
	chains := make([]*chainAudit, 0, len(ranges))
	have := map[skuKey]bool{}
	for _, rg := range ranges {
		chains = append(chains, a.newChain(rg))
		if rg.SKU != "" {
			have[skuKey{rg.Activity, rg.SKU}] = true
		}
	}
	return append(chains, a.controlOnlyChains(have)...)
}

// newChain makes the audit of one range (of one SKU's chain, when rg names
// one).
func (a *auditor) newChain(rg wal.RecordRange) *chainAudit {
	c := &chainAudit{a: a, rg: rg}
	for j := range c.checks {
		c.checks[j].max = a.opts.MaxListed
	}
	if rg.SKU == "" {
		return c
	}
	k := skuKey{rg.Activity, rg.SKU}
	act := a.act(rg.Activity)
	c.sku = &skuState{
		act:      act,
		sku:      rg.SKU,
		index:    int32(len(act.skus)),
		head:     a.heads[k],
		ctlHead:  a.controlHeads[k],
		ctl:      a.controls[k],
		row:      a.row(rg.Activity, rg.SKU),
		cfgIndex: -1,
	}
	act.skus = append(act.skus, rg.SKU)
	if c.sku.head != nil {
		c.sku.head.seen = true
		if act.limitActivity {
			c.limit = make([]limitWin, 0, min(c.sku.head.Seq, presizeCap))
		}
	}
	if c.sku.ctlHead != nil {
		c.sku.ctlHead.seen = true
	}
	return c
}

// run audits the chains on opts.Workers goroutines.
func (a *auditor) run(chains []*chainAudit) error {
	var next atomic.Int64
	errs := make([]error, a.opts.Workers)
	var wg sync.WaitGroup
	for w := range a.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(chains) {
					return
				}
				if err := chains[i].run(); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// finish merges the chains' findings in key order, runs the checks that
// need the whole log and assembles the report.
func (a *auditor) finish(chains []*chainAudit) *Report {
	rep := &Report{
		SKUs:    []SKURow{},
		Checks:  []Check{},
		Digests: []Digest{},
		Configs: []ConfigNote{},
		Changes: []Change{},
	}
	for _, c := range chains {
		rep.Records += c.records
		rep.ControlRecords += c.controlRecords
		rep.Changes = append(rep.Changes, c.changes...)
		for i := range a.checks {
			a.checks[i].merge(&c.checks[i])
		}
		a.trunc = append(a.trunc, c.trunc...)
		if c.sku != nil && c.hasHead {
			c.sku.act.recordHeads = append(c.sku.act.recordHeads, c.recordHead)
		}
	}
	for k, h := range a.heads {
		if !h.seen { // a chain whose every record is gone
			a.trunc = append(a.trunc, Truncation{Activity: k.activity, SKU: k.sku, HeadSeq: h.Seq})
			a.row(k.activity, k.sku)
		}
	}
	for k, h := range a.controlHeads {
		if !h.seen { // a SKU whose every record, control and win, is gone
			a.trunc = append(a.trunc, Truncation{Activity: k.activity, SKU: k.sku, HeadSeq: h.Seq, Controls: true})
			a.row(k.activity, k.sku)
		}
	}
	ids := make([]string, 0, len(a.acts))
	for id := range a.acts {
		ids = append(ids, id)
	}
	for id := range a.opts.Published {
		if a.acts[id] == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		act := a.acts[id]
		if act == nil {
			a.checks[CheckDigest].add(publishedMissing(id))
			continue
		}
		act.checkLimits(a, chains)
		rep.Digests = append(rep.Digests, a.digest(act))
		for _, c := range act.history {
			rep.Configs = append(rep.Configs, ConfigNote{Activity: id, Seq: c.Seq, Reason: c.Reason, TimeUnixNano: c.TimeUnixNano})
			for _, it := range c.Items {
				a.row(id, it.SKU)
			}
		}
	}
	slices.SortStableFunc(rep.Changes, func(x, y Change) int {
		return cmp.Or(cmp.Compare(x.Activity, y.Activity), cmp.Compare(x.SKU, y.SKU), cmp.Compare(x.Seq, y.Seq))
	})
	for _, r := range a.rows {
		if c := a.acts[r.Activity].latestWith(r.SKU); c != nil && !r.stockSet {
			it := c.Item(r.SKU)
			r.Stock, r.Quota = it.Stock, it.Quota
		}
		rep.SKUs = append(rep.SKUs, *r)
	}
	slices.SortFunc(rep.SKUs, func(x, y SKURow) int {
		return cmp.Or(cmp.Compare(x.Activity, y.Activity), cmp.Compare(x.SKU, y.SKU))
	})
	rep.TruncatedTails = append([]Truncation{}, a.trunc...)
	slices.SortFunc(rep.TruncatedTails, func(x, y Truncation) int {
		return cmp.Or(cmp.Compare(x.Activity, y.Activity), cmp.Compare(x.SKU, y.SKU), cmpBool(x.Controls, y.Controls))
	})
	rep.OK = len(rep.TruncatedTails) == 0
	for i := range a.checks {
		c := a.checks[i].result(i)
		rep.OK = rep.OK && c.Pass
		rep.Checks = append(rep.Checks, c)
	}
	return rep
}

// digest computes an activity's digest from its records and from its head
// markers, and compares it with the published one.
func (a *auditor) digest(act *actState) Digest {
	committed := map[string]*engine.ChainHead{}
	headOf := func(sku string) *engine.ChainHead {
		h := committed[sku]
		if h == nil {
			h = &engine.ChainHead{SKU: sku}
			committed[sku] = h
		}
		return h
	}
	for k, h := range a.heads {
		if k.activity == act.id {
			hd := headOf(k.sku)
			hd.Wins, hd.Hash = h.Seq, h.Hash
		}
	}
	for k, h := range a.controlHeads {
		if k.activity == act.id {
			hd := headOf(k.sku)
			hd.Controls, hd.ControlHash = h.Seq, h.Hash
		}
	}
	var heads []engine.ChainHead
	for _, h := range committed {
		heads = append(heads, *h)
	}
	d := Digest{
		Activity:  act.id,
		Digest:    engine.ActivityDigest(act.recordHeads),
		Committed: engine.ActivityDigest(heads),
		Published: a.opts.Published[act.id],
	}
	if d.Published != "" && d.Published != d.Digest {
		a.checks[CheckDigest].add(publishedMismatch(&d))
	}
	return d
}

func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}

func hexHash(h [32]byte) string { return hex.EncodeToString(h[:]) }

func fmtTime(unixNano int64) string {
	return time.Unix(0, unixNano).UTC().Format(time.RFC3339Nano)
}

// newShard builds the engine shard that replays one SKU: the window of the
// latest config record naming it, the largest quota any record gave it
// (recovery refuses a config whose quota is below the wins stored, so no
// honest win exceeds the largest), and no claims or reservations, which the
// audit checks itself against the config in force at each win.
func newShard(key []byte, act *actState, sku string) *engine.Shard {
	spec := engine.Spec{Activity: act.id, SKU: sku}
	for i := range act.history {
		if it := act.history[i].Item(sku); it != nil && it.Quota > 0 {
			spec.Quota = max(spec.Quota, uint64(it.Quota))
			spec.Waitlist = max(spec.Waitlist, uint64(it.Waitlist))
		}
	}
	if spec.Quota == 0 {
		// No config names the SKU (the config check says so for every
		// win); the chain, tickets and seqs can still be checked.
		spec.Quota = math.MaxUint64
	}
	if c := act.latestWith(sku); c != nil {
		spec.StartUnixNano, spec.EndUnixNano = c.StartUnixNano, c.EndUnixNano
	}
	return engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil)
}
