package replay

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"seckill/engine"
	"seckill/internal/auditlog"
	"seckill/internal/uidset"
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
}

// DefaultMaxListed is how many offending records a check lists by default.
const DefaultMaxListed = 20

// reservationGrace is how long before a reservation change is recorded a
// win may already have been decided against the new list. The admin API
// swaps the list and then records it, and a shard reads its clock once per
// batch before stepping it, so a batch stamped just before the record may
// have been stepped just after the swap. Wins stamped before the change by
// more than this must be in the list that was then in force; wins stamped
// after it, in the new one.
const reservationGrace = time.Second

// maxAdoptGap bounds how many missing seqs the audit fills in to re-anchor
// after a gap when no head marker vouches for them, so that a forged record
// with a huge seq cannot make the audit allocate without bound.
const maxAdoptGap = 1 << 16

// Audit replays the whole store through the engine core and checks every
// invariant of the sale, with nothing but the store: the winner records, the
// head markers, the config records and reservation lists (package
// auditlog), and the ticket key. Each SKU's records are Applied to a fresh
// engine.Shard built from the recorded config, as recovery does; unlike
// recovery, a record Apply refuses is reported with every fault Check finds
// in it and then adopted, so the audit goes on and one bad record shows as
// one finding. The checks Apply does not make — window, reservation,
// release rate, the quota and limit in force at the win's time — use the
// config record in force at each win's time.
//
// Audit opens nothing: log is a store the caller opened (read-only, for an
// audit of a stopped engine). The error is for an audit that cannot run; a
// log that fails checks is a Report with OK false.
func Audit(log *wal.Log, opts Options) (*Report, error) {
	if opts.MaxListed <= 0 {
		opts.MaxListed = DefaultMaxListed
	}
	key, err := log.TicketKey()
	if err != nil {
		return nil, fmt.Errorf("%w: ticket key: %w", ErrAudit, err)
	}
	a := &auditor{
		log:    log,
		opts:   opts,
		signer: key,
		acts:   map[string]*actState{},
		heads:  map[skuKey]*headState{},
		rows:   map[skuKey]*SKURow{},
		resv:   map[string]resvEntry{},
	}
	for i := range a.checks {
		a.checks[i].max = opts.MaxListed
	}
	history, problems, err := auditlog.LoadHistory(log)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	for _, p := range problems {
		a.offend(CheckConfig, Offense{Reason: fmt.Sprintf("config record %s: %s", p.Key, p.Reason)})
	}
	for id, h := range history {
		a.act(id).setHistory(h)
	}
	err = log.ScanHeads(func(h *wal.Head) error {
		a.heads[skuKey{h.Activity, h.SKU}] = &headState{Head: *h}
		a.act(h.Activity)
		return nil
	}, func(key string, err error) error {
		a.offend(CheckDigest, Offense{Reason: fmt.Sprintf("head marker %q: %v", key, err)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: head markers: %w", ErrAudit, err)
	}
	if err := log.ScanRecords(a.record); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	a.finishSKU()
	return a.finish(), nil
}

type skuKey struct{ activity, sku string }

type headState struct {
	wal.Head
	seen bool // the scan met records of this SKU
}

type resvEntry struct {
	set *uidset.Set
	err error
}

// auditor is the state of one Audit.
type auditor struct {
	log     *wal.Log
	opts    Options
	signer  []byte
	records uint64
	checks  [numChecks]checkList
	acts    map[string]*actState
	heads   map[skuKey]*headState
	rows    map[skuKey]*SKURow
	resv    map[string]resvEntry // reservation lists by digest, loaded once
	trunc   []Truncation
	cur     *skuState
}

func (a *auditor) offend(check int, o Offense) { a.checks[check].add(o) }

// act returns the state of activity id, creating it.
func (a *auditor) act(id string) *actState {
	s := a.acts[id]
	if s == nil {
		s = &actState{id: id}
		a.acts[id] = s
	}
	return s
}

func (a *auditor) row(act, sku string) *SKURow {
	k := skuKey{act, sku}
	r := a.rows[k]
	if r == nil {
		r = &SKURow{Activity: act, SKU: sku}
		a.rows[k] = r
	}
	return r
}

// record takes one stored winner record, in key order.
func (a *auditor) record(r *wal.Record) error {
	a.records++
	if !r.KeyOK {
		a.offend(CheckChain, Offense{Reason: fmt.Sprintf("malformed winner key %q", r.Key)})
		return nil
	}
	s := a.cur
	if s == nil || r.SKU != s.sku || r.Activity != s.act.id {
		a.finishSKU()
		s = a.startSKU(r.Activity, r.SKU)
	}
	if s.pending != nil {
		// A record that did not decode, followed by more of its chain:
		// not a tail cut short but a damaged record.
		a.offend(CheckChain, Offense{Activity: s.act.id, SKU: s.sku, Seq: s.pending.seq, Reason: "record does not decode: " + s.pending.err})
		s.unreadable = s.pending.seq
		s.pending = nil
	}
	if !r.ValueOK {
		s.pending = &pendingRecord{seq: r.Seq, err: r.Err.Error()}
		return nil
	}
	a.win(s, &r.Win, r.Seq, r.Err != nil)
	return nil
}

// reserved reports whether uid is in the reservation list c names.
func (a *auditor) reserved(c *auditlog.Config, uid uint64) (bool, error) {
	e, ok := a.resv[c.ReservationsDigest]
	if !ok {
		if c.ReservationsDigest == "" {
			e.err = errors.New("the config record names no reservation list")
		} else {
			e.set, e.err = auditlog.LoadReservations(a.log, c.ReservationsDigest)
		}
		a.resv[c.ReservationsDigest] = e
	}
	if e.err != nil {
		return false, e.err
	}
	return e.set.Contains(uid), nil
}

// finish runs the checks that need the whole log and assembles the report.
func (a *auditor) finish() *Report {
	for k, h := range a.heads {
		if !h.seen { // a chain whose every record is gone
			a.trunc = append(a.trunc, Truncation{Activity: k.activity, SKU: k.sku, HeadSeq: h.Seq})
			a.act(k.activity).truncated = true
			a.row(k.activity, k.sku)
		}
	}
	rep := &Report{
		Records:        a.records,
		SKUs:           []SKURow{},
		Checks:         []Check{},
		TruncatedTails: a.trunc,
		Digests:        []Digest{},
		Configs:        []ConfigNote{},
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
			a.offend(CheckDigest, Offense{Activity: id, Reason: "a digest was published for this activity, but the log has nothing of it"})
			continue
		}
		act.checkLimits(a)
		rep.Digests = append(rep.Digests, a.digest(act))
		for _, c := range act.history {
			rep.Configs = append(rep.Configs, ConfigNote{Activity: id, Seq: c.Seq, Reason: c.Reason, TimeUnixNano: c.TimeUnixNano})
			for _, it := range c.Items {
				a.row(id, it.SKU)
			}
		}
	}
	for _, r := range a.rows {
		if c := a.acts[r.Activity].latestWith(r.SKU); c != nil {
			it := c.Item(r.SKU)
			r.Stock, r.Quota = it.Stock, it.Quota
		}
		rep.SKUs = append(rep.SKUs, *r)
	}
	slices.SortFunc(rep.SKUs, func(x, y SKURow) int {
		return cmp.Or(cmp.Compare(x.Activity, y.Activity), cmp.Compare(x.SKU, y.SKU))
	})
	slices.SortFunc(rep.TruncatedTails, func(x, y Truncation) int {
		return cmp.Or(cmp.Compare(x.Activity, y.Activity), cmp.Compare(x.SKU, y.SKU))
	})
	if rep.TruncatedTails == nil {
		rep.TruncatedTails = []Truncation{}
	}
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
	var committed []Head
	for k, h := range a.heads {
		if k.activity == act.id {
			committed = append(committed, Head{SKU: k.sku, Wins: h.Seq, Hash: h.Hash})
		}
	}
	d := Digest{
		Activity:  act.id,
		Digest:    ActivityDigest(act.recordHeads),
		Committed: ActivityDigest(committed),
		Published: a.opts.Published[act.id],
	}
	if d.Published != "" && d.Published != d.Digest {
		a.offend(CheckDigest, Offense{Activity: act.id, Reason: fmt.Sprintf("the published digest %s is not the log's %s", d.Published, d.Digest)})
	}
	return d
}

func hexHash(h [32]byte) string { return hex.EncodeToString(h[:]) }

func fmtTime(unixNano int64) string {
	return time.Unix(0, unixNano).UTC().Format(time.RFC3339Nano)
}

// newShard builds the engine shard that replays one SKU: the spec of the
// latest config record naming it, with the largest quota any record gave it
// (recovery refuses a config whose quota is below the wins stored, so no
// honest win exceeds the largest), and no claims or reservations, which the
// audit checks itself against the config in force at each win.
func newShard(key []byte, act *actState, sku string) *engine.Shard {
	spec := engine.Spec{Activity: act.id, SKU: sku}
	for i := range act.history {
		if it := act.history[i].Item(sku); it != nil && it.Quota > 0 {
			spec.Quota = max(spec.Quota, uint64(it.Quota))
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
