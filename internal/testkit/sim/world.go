package sim

import (
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"seckill/engine"
	"seckill/internal/app/server"
	"seckill/internal/config"
	"seckill/internal/live/gate"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
	"seckill/replay"
	"seckill/wal"
)

// dataDir is where the simulated engine keeps its store on the in-memory FS.
const dataDir = "/seckill-data"

// instance is one life of the simulated engine, from an open of the store
// to a crash or a clean stop: the real wal on the simulation's FS, a shard
// and a shardloop.Loop per SKU, and the real gate in front of them. It is
// assembled the way internal/app/server assembles an engine (server.build),
// minus the network, and recovered with the same replay.Rebuild; its loops
// are never Run: the simulation steps them (shardloop.Loop.StepQueued).
type instance struct {
	log    *wal.Log
	loops  []*shardloop.Loop // by index into sale.skus
	routes []*gate.Route     // likewise
	gate   *gate.Gate
	clock  *clock
	cfg    *config.Config
}

// clock is the simulated time in Unix nanoseconds; the loops read it once
// per batch, as they read the wall clock live.
type clock struct{ now int64 }

func (c *clock) read() int64             { return c.now }
func (c *clock) advance(d time.Duration) { c.now += int64(d) }

// openInstance opens the store on fs, builds the shards, recovers them from
// the store, and records each activity's configuration, as a server start
// does. key is the ticket key a new store gets (seeded, so that tickets are
// the same for a seed).
func openInstance(fs vfs.FS, s *sale, key []byte, clk *clock) (*instance, error) {
	log, err := wal.Open(dataDir, wal.Options{FS: fs, Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	in := &instance{log: log, clock: clk}
	if err := in.build(s, key); err != nil {
		log.Close()
		return nil, err
	}
	return in, nil
}

func (in *instance) build(s *sale, key []byte) error {
	if err := in.log.SetTicketKey(key); err != nil {
		return fmt.Errorf("ticket key: %w", err)
	}
	claims := map[string]*engine.Claims{}
	shards := map[[2]string]*engine.Shard{}
	for i, k := range s.skus {
		act := k.act
		var cl *engine.Claims
		if act.Limit == "activity" {
			if claims[act.ID] == nil {
				claims[act.ID] = engine.NewClaims()
			}
			cl = claims[act.ID]
		}
		spec := engine.Spec{
			Activity:            act.ID,
			SKU:                 k.item.SKU,
			Index:               int32(i),
			Quota:               k.quota,
			ReleasePerSec:       uint32(k.item.ReleasePerSec),
			StartUnixNano:       act.StartTime.UnixNano(),
			EndUnixNano:         act.EndTime.UnixNano(),
			LimitActivity:       cl != nil,
			ReservationRequired: act.Reservation == "required",
			Waitlist:            uint64(k.item.Waitlist),
		}
		shard := engine.NewShard(spec, engine.NewTicketSigner(key), cl, nil)
		shards[[2]string{act.ID, k.item.SKU}] = shard
		loop := shardloop.New(shard, in.log, act.Queue, s.cfg.Server.BatchMax, in.clock.read)
		in.loops = append(in.loops, loop)
		in.routes = append(in.routes, gate.NewRoute(server.RouteSpec(act, k.item), loop))
	}
	sum, err := replay.Rebuild(in.log, func(activity, sku string) *engine.Shard { return shards[[2]string{activity, sku}] })
	if err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	if len(sum.Orphans) > 0 {
		return fmt.Errorf("recovery: wins of SKUs the sale does not have: %+v", sum.Orphans)
	}
	// As a server start: the configured lists where they changed (never,
	// here, after the first start: the operator's swaps outlive restarts),
	// then the config records.
	if _, err := server.ApplyConfigReservations(in.log, s.cfg.Activities, func(act *config.Activity) (*uidset.Set, error) {
		return s.reserved[act.ID], nil
	}, func(activity, sku string) *engine.Shard { return shards[[2]string{activity, sku}] }, in.clock.read()); err != nil {
		return err
	}
	for _, l := range in.loops {
		l.Recovered()
	}
	in.gate = gate.New(server.GateOptions(s.cfg), in.routes)
	in.cfg = s.cfg
	rec, err := auditlog.NewRecorder(in.log)
	if err != nil {
		return err
	}
	for i := range s.cfg.Activities {
		if _, err := rec.Record(server.ConfigRecord(&s.cfg.Activities[i], time.Unix(0, in.clock.read()))); err != nil {
			return fmt.Errorf("record config of %s: %w", s.cfg.Activities[i].ID, err)
		}
	}
	return nil
}

// close closes the store (a clean stop, or what is left of a crashed
// instance, whose FS the simulation has already replaced).
func (in *instance) close() error { return in.log.Close() }

// quietLogger drops pebble's lines: injected faults make it log errors the
// simulation expects.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(string, ...any) {}
