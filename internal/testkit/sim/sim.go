package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/engine"
	"seckill/httpmin"
)

// Options bounds one run.
type Options struct {
	// Steps is how many actions the run takes; 0 means DefaultSteps.
	Steps int
	// Log, when set, receives one line per event (requests, answers,
	// steps, control changes, faults, crashes), to follow a failing seed.
	Log io.Writer
}

// DefaultSteps is long enough for every activity of a drawn sale to open,
// sell out or end, and for a few dozen crashes and faults, while one seed
// takes well under a second without the race detector.
const DefaultSteps = 2500

// Stats counts what a run did.
type Stats struct {
	Requests, Queued, Batches, WinsTold, RepliesLost int
	Crashes, Restarts, Faults, Controls, Audits      int
	Reports, Lapses, Promotions, Waitlisted          int
	AuditedRecords                                   uint64
}

// Result is a run's outcome: Digest covers every answer and every
// recovered state in order, so two runs of a seed must have the same.
type Result struct {
	Seed   uint64
	Digest [32]byte
	Stats  Stats
}

// world is the simulation's state across the engine's lives.
type world struct {
	seed  uint64
	rng   *rand.Rand
	sale  *sale
	key   []byte
	clock *clock

	mem    *vfs.MemFS // the disk; replaced by a crash clone at each crash
	faults *faults
	in     *instance

	told    *told
	queued  map[uint64]*request
	pending []int         // queued requests per SKU
	inbox   [][]inboxItem // each shard's inbox as the simulation filled it, in order
	// decidedState is what each shard's control records have put in
	// force, as far as its steps so far decided (control.go).
	decidedState []inForce
	nextTag      uint64
	replies      decisions
	parsed       httpmin.Request
	stats        Stats
	trace        hash.Hash
	retry        []uint64    // uids that were refused for now and will try again
	econ         []*econTold // by SKU index (economics.go)
	lapses       uint64      // lapses the model has heard of, in order: the epoch of a decision
	log          io.Writer
}

// Run simulates one seed: it draws a sale, then takes opts.Steps actions
// drawn from the seed — buyers' requests, shard steps, clock advances,
// control changes, injected write faults, crashes and clean restarts —
// checking every answer as it is given and the store after every recovery.
// The error names the first broken invariant and the step it broke at.
func Run(seed uint64, opts Options) (*Result, error) {
	if opts.Steps <= 0 {
		opts.Steps = DefaultSteps
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5eccc111))
	w := &world{
		seed:   seed,
		rng:    rng,
		sale:   drawSale(rng),
		clock:  &clock{now: epoch.Add(-time.Second).UnixNano()},
		mem:    vfs.NewCrashableMem(),
		queued: map[uint64]*request{},
		trace:  sha256.New(),
		log:    opts.Log,
	}
	w.key = make([]byte, 32)
	for i := range w.key {
		w.key[i] = byte(rng.UintN(256))
	}
	w.told = newTold(w.sale)
	for range w.sale.skus {
		w.econ = append(w.econ, newEconTold())
	}
	w.pending = make([]int, len(w.sale.skus))
	w.inbox = make([][]inboxItem, len(w.sale.skus))
	if err := w.start(); err != nil {
		return nil, fmt.Errorf("seed %d: first start: %w", seed, err)
	}
	for step := range opts.Steps {
		if err := w.act(); err != nil {
			return nil, fmt.Errorf("seed %d, step %d, t=%s: %w", seed, step, time.Duration(w.clock.now-epoch.UnixNano()), err)
		}
	}
	if err := w.restart(false); err != nil {
		return nil, fmt.Errorf("seed %d, final restart: %w", seed, err)
	}
	if err := w.in.close(); err != nil {
		return nil, fmt.Errorf("seed %d, final close: %w", seed, err)
	}
	res := &Result{Seed: seed, Stats: w.stats}
	w.trace.Sum(res.Digest[:0])
	return res, nil
}

// act takes one action. Every action moves the clock on a little, so that
// no two events share a timestamp (the audit orders config records and wins
// by time).
func (w *world) act() error {
	w.clock.advance(time.Duration(1+w.rng.IntN(1000)) * time.Microsecond)
	switch r := w.rng.IntN(1000); {
	case r < 400:
		return w.arrivals(1 + w.rng.IntN(40))
	case r < 800:
		return w.stepShard()
	case r < 940:
		w.clock.advance(time.Duration(w.rng.Int64N(int64(400 * time.Millisecond))))
		return nil
	case r < 970:
		return w.control()
	case r < 980:
		w.fault()
		return nil
	case r < 990:
		return w.crash()
	case r < 994:
		return w.restart(true)
	default:
		return w.restart(false)
	}
}

// arrivals has n buyers send a request each, through the gate.
func (w *world) arrivals(n int) error {
	for range n {
		rq := w.drawRequest()
		w.stats.Requests++
		resp, queued := w.serve(rq)
		if queued {
			w.queued[rq.tag] = rq
			w.pending[rq.sku]++
			w.inbox[rq.sku] = append(w.inbox[rq.sku], inboxItem{rq: rq})
			w.stats.Queued++
			continue
		}
		if err := w.answered(rq, resp); err != nil {
			return err
		}
	}
	return nil
}

// drawRequest draws who asks what: mostly buys, some lookups; a uid from
// the whole population or one that was refused before and retries; now and
// then a SKU the sale does not have or a request without a uid.
func (w *world) drawRequest() *request {
	w.nextTag++
	rq := &request{tag: w.nextTag, kind: engine.Buy, replies: &w.replies, epoch: w.lapses}
	if w.rng.IntN(100) < 15 {
		rq.kind = engine.Lookup
	}
	if len(w.retry) > 0 && w.rng.IntN(100) < 30 {
		i := w.rng.IntN(len(w.retry))
		rq.uid = w.retry[i]
		w.retry[i] = w.retry[len(w.retry)-1]
		w.retry = w.retry[:len(w.retry)-1]
	} else {
		rq.uid = 1 + w.rng.Uint64N(w.sale.buyers)
	}
	rq.sku = w.rng.IntN(len(w.sale.skus))
	name := w.sale.skus[rq.sku].item.SKU
	malformed := false
	switch r := w.rng.IntN(100); {
	case r < 2:
		rq.sku, name = -1, "no-such-sku"
	case r < 3:
		malformed = true
	}
	if rq.sku >= 0 && !malformed {
		rq.listAtOffer = w.gateList(rq.sku)
	}
	rq.head = requestHead(rq.kind, name, rq.uid, malformed)
	if malformed {
		rq.sku = -1 // answered bad_request by the gate, whatever the SKU
	}
	return rq
}

// stepShard steps one batch of a shard that has queued attempts, and
// handles its decisions as the front end would.
func (w *world) stepShard() error {
	var ready []int
	for i, q := range w.inbox {
		if len(q) > 0 {
			ready = append(ready, i)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	return w.stepLoop(ready[w.rng.IntN(len(ready))])
}

func (w *world) stepLoop(i int) error {
	w.replies.got = w.replies.got[:0]
	// StepQueued takes what the inbox holds, up to batch_max, in order.
	n := min(w.sale.cfg.Server.BatchMax, len(w.inbox[i]))
	if !w.in.loops[i].StepQueued() {
		return fmt.Errorf("%s: %d tasks queued, but its inbox is empty", w.sale.skus[i].item.SKU, len(w.inbox[i]))
	}
	batch := w.inbox[i][:n]
	w.inbox[i] = w.inbox[i][n:]
	if err := w.decided(i, batch); err != nil {
		return err
	}
	w.stats.Batches++
	for _, rq := range w.replies.got {
		if w.queued[rq.tag] != rq {
			return fmt.Errorf("a decision for %q, which is not queued (or was answered before)", rq.head)
		}
		delete(w.queued, rq.tag)
		w.pending[rq.sku]--
		resp := w.in.gate.Answer(&rq.pending, &rq.decision, nil)
		if w.rng.IntN(100) < 2 {
			// The buyer's connection broke before the answer reached it:
			// it was decided (and, for a win, is durable) but nobody was
			// told. A later retry must get the same win.
			w.stats.RepliesLost++
			continue
		}
		if err := w.answered(rq, resp); err != nil {
			return err
		}
	}
	return nil
}

// answered records an answer in the trace and checks it.
func (w *world) answered(rq *request, resp []byte) error {
	w.traceEvent('A', rq.head, resp)
	a, err := parseAnswer(resp)
	if err != nil {
		return fmt.Errorf("answer to %q: %w", rq.head, err)
	}
	if err := w.check(rq, &a); err != nil {
		return fmt.Errorf("answer to %q: %w", rq.head, err)
	}
	switch a.Result {
	case engine.Busy.String(), engine.Unavailable.String(), engine.NotStarted.String():
		if len(w.retry) < 1000 {
			w.retry = append(w.retry, rq.uid)
		}
	}
	return nil
}

// fault switches on write errors on the store's WAL, until the next crash
// or restart.
func (w *world) fault() {
	if w.faults.mode.Load() != uint32(faultNone) {
		return
	}
	w.stats.Faults++
	mode := faultWrite
	if w.rng.IntN(2) == 0 {
		mode = faultSync
	}
	w.traceEvent('F', nil, []byte{byte(mode)})
	w.faults.set(mode)
}

// crash stops the engine as a power cut would: the disk keeps what was
// synced and, when keepUnsynced is drawn, what was written but not synced
// (CrashClone's UnsyncedDataPercent is 0 or 100 only: between the two it
// draws per file in map order, which would make a seed's disk differ from
// run to run). Queued attempts are lost with their connections. Then the
// engine starts again on that disk.
func (w *world) crash() error {
	w.stats.Crashes++
	keep := 0
	if w.rng.IntN(3) == 0 {
		keep = 100
	}
	w.traceEvent('C', nil, []byte{byte(keep)})
	// CrashClone draws from its RNG once per unsynced file and block even at
	// 100 %, and how many files pebble has at this moment depends on its
	// background goroutines: it gets its own RNG, so that the run's does not
	// drift.
	w.mem = w.mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: keep, RNG: rand.New(rand.NewPCG(0, 0))})
	// The old engine's store is closed only to release its goroutines; it
	// writes to the old disk, which nothing reads any more.
	_ = w.in.close()
	w.dropQueued()
	return w.start()
}

// restart stops the engine cleanly: when drain is set, every queued
// attempt is answered first (SIGTERM), otherwise they are lost too. Then it
// starts again on the same disk.
func (w *world) restart(drain bool) error {
	w.stats.Restarts++
	w.traceEvent('S', nil, nil)
	if drain {
		for i := range w.inbox {
			for len(w.inbox[i]) > 0 {
				if err := w.stepLoop(i); err != nil {
					return err
				}
			}
		}
	}
	if err := w.in.close(); err != nil && w.faults.mode.Load() == uint32(faultNone) {
		return fmt.Errorf("close store: %w", err)
	}
	w.dropQueued()
	return w.start()
}

func (w *world) dropQueued() {
	clear(w.queued)
	clear(w.pending)
	clear(w.inbox)
}

// start audits the disk as it is, opens the engine on it (recovery), and
// checks the recovered store against what the buyers were told.
func (w *world) start() error {
	// A start takes time: recovery's config records come after every win
	// of the life before.
	w.clock.advance(time.Millisecond + time.Duration(w.rng.Int64N(int64(time.Second))))
	if _, err := w.mem.Stat(dataDir); err == nil {
		rep, err := audit(w.mem)
		if err != nil {
			return err
		}
		w.stats.Audits++
		w.stats.AuditedRecords += rep.Records
	}
	w.faults = &faults{}
	in, err := openInstance(errorfs.Wrap(w.mem, w.faults), w.sale, w.key, w.clock)
	if err != nil {
		return err
	}
	w.in = in
	w.recoveredState()
	counts, err := w.checkStore()
	if err != nil {
		return fmt.Errorf("after recovery: %w", err)
	}
	var b []byte
	for _, n := range counts {
		b = binary.BigEndian.AppendUint64(b, n)
	}
	w.traceEvent('O', nil, b)
	return nil
}

// traceEvent adds one event to the run's digest, with the time.
func (w *world) traceEvent(kind byte, a, b []byte) {
	var hdr [17]byte
	hdr[0] = kind
	binary.BigEndian.PutUint64(hdr[1:], uint64(w.clock.now))
	binary.BigEndian.PutUint32(hdr[9:], uint32(len(a)))
	binary.BigEndian.PutUint32(hdr[13:], uint32(len(b)))
	w.trace.Write(hdr[:])
	w.trace.Write(a)
	w.trace.Write(b)
	if w.log != nil {
		fmt.Fprintf(w.log, "%s %c %q %q\n", time.Duration(w.clock.now-epoch.UnixNano()), kind, a, b)
	}
}

func (s *Stats) add(o Stats) {
	s.Requests += o.Requests
	s.Queued += o.Queued
	s.Batches += o.Batches
	s.WinsTold += o.WinsTold
	s.RepliesLost += o.RepliesLost
	s.Crashes += o.Crashes
	s.Restarts += o.Restarts
	s.Faults += o.Faults
	s.Controls += o.Controls
	s.Reports += o.Reports
	s.Lapses += o.Lapses
	s.Promotions += o.Promotions
	s.Waitlisted += o.Waitlisted
	s.Audits += o.Audits
	s.AuditedRecords += o.AuditedRecords
}
