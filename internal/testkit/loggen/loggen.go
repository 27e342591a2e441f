// Package loggen writes a synthetic sale into a fresh store through the real
// engine core and wal: attempts are stepped through engine.Shard, the wins
// are appended with wal.AppendWins in batches (head markers included), the
// control changes (the reservation list at start; with Changes, a pause, a
// new list and a resume) are decided by the shards and appended as the shard
// loops do, and the config records and reservation lists are written with
// package auditlog, as the engine writes them. Everything — times, uids, the ticket
// key — derives from Options, so the same options give the same records
// (not the same pebble files). It feeds the audit's
// throughput measurement (cmd/seckill-loggen) and its golden tests.
package loggen

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"seckill/engine"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
	"seckill/wal"
)

// ErrOptions reports options Generate cannot work with.
var ErrOptions = errors.New("loggen: bad options")

// Options describes the sale to generate.
type Options struct {
	Dir      string // must be absent or empty
	Activity string // default "gen"
	Wins     int    // wins to write in all
	SKUs     int    // default 1
	// Stock is every SKU's stock; default Wins/SKUs rounded up, so the
	// sale sells out. A larger stock leaves room to append to a chain.
	Stock int
	Seed  uint64
	// Limit is "sku" (default) or "activity".
	Limit string
	// Reservation makes the sale reservation = "required", with a list of
	// about nine in ten of the buyers.
	Reservation bool
	// ReleasePerSec is every SKU's release_per_sec (0 = no limit).
	ReleasePerSec int
	// Batch is how many wins of a SKU go in one AppendWins; default 1024.
	Batch int
	// Changes pauses the sale halfway, replaces the reservation list (with
	// Reservation) and resumes it, so the log holds control records.
	Changes bool
	// Start is the sale's start; default 2021-01-12T06:30:00Z.
	Start time.Time
}

// Summary is what Generate wrote.
type Summary struct {
	Wins     int
	Attempts int
	First    time.Time
	Last     time.Time
}

// meanGap is the mean time between two attempts: a busy sale.
const meanGap = 20 * time.Microsecond

func (o *Options) defaults() error {
	if o.Activity == "" {
		o.Activity = "gen"
	}
	if o.SKUs == 0 {
		o.SKUs = 1
	}
	if o.Limit == "" {
		o.Limit = "sku"
	}
	if o.Batch == 0 {
		o.Batch = 1024
	}
	if o.Stock == 0 && o.SKUs > 0 {
		o.Stock = (o.Wins + o.SKUs - 1) / o.SKUs
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2021, 1, 12, 6, 30, 0, 0, time.UTC)
	}
	switch {
	case o.Dir == "":
		return fmt.Errorf("%w: no directory", ErrOptions)
	case o.Wins < 1 || o.SKUs < 1 || o.SKUs > 10000 || o.Batch < 1 || o.ReleasePerSec < 0 || o.Stock < 0:
		return fmt.Errorf("%w: wins %d, skus %d, stock %d, batch %d, release %d", ErrOptions, o.Wins, o.SKUs, o.Stock, o.Batch, o.ReleasePerSec)
	case o.Limit != "sku" && o.Limit != "activity":
		return fmt.Errorf("%w: limit %q", ErrOptions, o.Limit)
	}
	if names, err := os.ReadDir(o.Dir); err == nil && len(names) > 0 {
		return fmt.Errorf("%w: %s is not empty; the generator writes only fresh stores", ErrOptions, o.Dir)
	}
	return nil
}

// TicketKey is the ticket key Generate gives a store made with seed.
func TicketKey(seed uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	k := sha256.Sum256(append([]byte("seckill-loggen ticket key "), b[:]...))
	return k[:]
}

// Generate writes the sale opts describes into a new store in opts.Dir.
func Generate(opts Options) (Summary, error) {
	if err := opts.defaults(); err != nil {
		return Summary{}, err
	}
	log, err := wal.Open(opts.Dir, wal.Options{})
	if err != nil {
		return Summary{}, fmt.Errorf("loggen: %w", err)
	}
	g, err := newSale(&opts, log)
	if err == nil {
		err = g.run()
	}
	if cerr := log.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("loggen: %w", cerr)
	}
	return g.sum, err
}

// sale is one generation in progress.
type sale struct {
	opts     *Options
	log      *wal.Log
	rng      *rand.Rand
	cfg      auditlog.Config
	rec      *auditlog.Recorder
	shards   []*engine.Shard
	pending  [][]engine.Win
	pool     uint64 // buyers are uids 1..pool
	now      int64
	sum      Summary
	quotaSum int
}

func newSale(opts *Options, log *wal.Log) (*sale, error) {
	if err := log.SetTicketKey(TicketKey(opts.Seed)); err != nil {
		return nil, fmt.Errorf("loggen: %w", err)
	}
	rec, err := auditlog.NewRecorder(log)
	if err != nil {
		return nil, fmt.Errorf("loggen: %w", err)
	}
	g := &sale{
		opts: opts,
		log:  log,
		rng:  rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5ec1c11)),
		rec:  rec,
		pool: uint64(2*opts.Wins + 16),
		now:  opts.Start.UnixNano(),
	}
	stock := opts.Stock
	g.cfg = auditlog.Config{
		Version: auditlog.Version, Activity: opts.Activity, Title: "synthetic sale", Reason: auditlog.ReasonStart,
		TimeUnixNano: g.now - int64(time.Second), Reservation: "open", Limit: opts.Limit, Queue: 4096,
		StartUnixNano: opts.Start.UnixNano(), EndUnixNano: opts.Start.Add(24 * time.Hour).UnixNano(),
	}
	if opts.Reservation {
		g.cfg.Reservation = "required"
	}
	var claims *engine.Claims
	if opts.Limit == "activity" {
		claims = engine.NewClaims()
	}
	key := TicketKey(opts.Seed)
	for i := 0; i < opts.SKUs; i++ {
		it := auditlog.Item{SKU: fmt.Sprintf("sku-%04d", i), Name: "synthetic item", Variant: fmt.Sprintf("v%d", i),
			Price: int64(1000 + i), Stock: int64(stock), QuotaPercent: 100, Quota: int64(stock), ReleasePerSec: opts.ReleasePerSec}
		g.cfg.Items = append(g.cfg.Items, it)
		spec := engine.Spec{
			Activity: opts.Activity, SKU: it.SKU, Index: int32(i), Quota: uint64(it.Quota),
			ReleasePerSec: uint32(it.ReleasePerSec), StartUnixNano: g.cfg.StartUnixNano, EndUnixNano: g.cfg.EndUnixNano,
			LimitActivity: claims != nil, ReservationRequired: opts.Reservation,
		}
		g.shards = append(g.shards, engine.NewShard(spec, engine.NewTicketSigner(key), claims, nil))
		g.quotaSum += stock
	}
	g.pending = make([][]engine.Win, opts.SKUs)
	// The engine records its config when it starts serving, and puts the
	// configured reservation list in force, before any win.
	if _, err := g.rec.Record(&g.cfg); err != nil {
		return nil, fmt.Errorf("loggen: %w", err)
	}
	if opts.Reservation {
		if err := g.reservations(g.reservationList(0), engine.SourceConfig); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// reservationList is the buyers whose hash does not end in the digit
// version: nine in ten, a different nine for each version.
func (g *sale) reservationList(version uint64) *uidset.Set {
	uids := make([]uint64, 0, g.pool)
	for uid := uint64(1); uid <= g.pool; uid++ {
		if (uid*0x9E3779B97F4A7C15>>32)%10 != version {
			uids = append(uids, uid)
		}
	}
	return uidset.FromSlice(uids)
}

// control makes every shard decide c now and appends the records, as the
// shard loops do (each shard's wins so far are flushed first).
func (g *sale) control(c engine.Control) error {
	var out []engine.Control
	for i, s := range g.shards {
		if err := g.flush(i); err != nil {
			return err
		}
		ci := c
		ci.TimeUnixNano = g.now
		if v := s.Control(&ci); v != engine.ControlApplied {
			return fmt.Errorf("loggen: %s control on %s: %v", c.Kind, s.Spec().SKU, v)
		}
		out = append(out, ci)
	}
	if err := g.log.Append(nil, out); err != nil {
		return fmt.Errorf("loggen: %w", err)
	}
	return nil
}

// reservations stores set and puts it in force on every shard.
func (g *sale) reservations(set *uidset.Set, src engine.ControlSource) error {
	if err := auditlog.StoreReservations(g.log, set); err != nil {
		return fmt.Errorf("loggen: %w", err)
	}
	return g.control(engine.Control{Kind: engine.ControlReservations, Source: src, Digest: set.Digest(), Num: uint64(set.Len()), Set: set})
}

func (g *sale) run() error {
	o := g.opts
	maxAttempts := 100*o.Wins + 10_000
	changed := !o.Changes
	for g.sum.Wins < o.Wins && g.sum.Wins < g.quotaSum {
		if !changed && g.sum.Wins >= o.Wins/2 {
			if err := g.change(); err != nil {
				return err
			}
			changed = true
		}
		if g.sum.Attempts++; g.sum.Attempts > maxAttempts {
			return fmt.Errorf("loggen: %d wins after %d attempts; the options leave too few winners", g.sum.Wins, maxAttempts)
		}
		g.now += 1 + g.rng.Int64N(2*int64(meanGap))
		i := g.rng.IntN(len(g.shards))
		uid := 1 + g.rng.Uint64N(g.pool)
		a := engine.Attempt{Kind: engine.Buy, UID: uid, NowUnixNano: g.now,
			Client: netip.AddrFrom4([4]byte{10, byte(uid >> 16), byte(uid >> 8), byte(uid)})}
		d := g.shards[i].Step(&a)
		if d.Result == engine.Busy {
			// Over release_per_sec: the crowd gets busy until the next
			// second; skip ahead to it rather than step every refusal.
			g.now += d.RetryMs * int64(time.Millisecond)
		}
		if d.Result != engine.Won {
			continue
		}
		var w engine.Win
		g.shards[i].WinAt(d.Seq, &w)
		g.pending[i] = append(g.pending[i], w)
		if g.sum.Wins == 0 {
			g.sum.First = time.Unix(0, g.now).UTC()
		}
		g.sum.Wins++
		g.sum.Last = time.Unix(0, g.now).UTC()
		if len(g.pending[i]) >= o.Batch {
			if err := g.flush(i); err != nil {
				return err
			}
		}
	}
	for i := range g.pending {
		if err := g.flush(i); err != nil {
			return err
		}
	}
	return nil
}

// flush makes SKU i's pending wins durable, as a shard loop does.
func (g *sale) flush(i int) error {
	ws := g.pending[i]
	if len(ws) == 0 {
		return nil
	}
	if err := g.log.AppendWins(ws); err != nil {
		return fmt.Errorf("loggen: %w", err)
	}
	g.shards[i].MarkDurable(ws[len(ws)-1].Seq)
	g.pending[i] = ws[:0]
	return nil
}

// change pauses the sale, replaces the reservation list while paused (when
// there is one) and resumes a few seconds later; no attempt is stepped
// meanwhile, as the front end answers paused SKUs itself.
func (g *sale) change() error {
	if err := g.control(engine.Control{Kind: engine.ControlPause}); err != nil {
		return err
	}
	g.now += 2 * int64(time.Second)
	if g.opts.Reservation {
		if err := g.reservations(g.reservationList(1), engine.SourceOperator); err != nil {
			return err
		}
	}
	g.now += 2 * int64(time.Second)
	return g.control(engine.Control{Kind: engine.ControlResume})
}
