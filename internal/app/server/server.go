package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"seckill/engine"
	"seckill/internal/app/admin"
	"seckill/internal/app/observe"
	"seckill/internal/config"
	"seckill/internal/live/gate"
	"seckill/internal/live/shardloop"
	"seckill/replay"
	"seckill/wal"
)

// Server is a running engine: store, shards, loops, gate and front end.
type Server struct {
	cfg   *config.Config
	log   *slog.Logger
	store *wal.Log
	// committer makes the loops' batches durable together, one synced
	// commit per round (wal.Committer); it closes after the loops and
	// before the store.
	committer *wal.Committer
	loops     []*shardloop.Loop
	gate      *gate.Gate
	front     frontEnd
	admin     *http.Server
	// handoff exports and pushes winners to the mall (handoff.go).
	handoff handoff
	// raiseFDLimit is raiseFDLimit (limits.go); a test injects its failure.
	raiseFDLimit func() (uint64, error)
	// reloadMu serializes Reload and AddActivity; fileCfg is the
	// configuration file as last read, what the next reload is compared
	// with.
	reloadMu sync.Mutex
	fileCfg  *config.Config
	// liveMu guards what grows while serving (activity_add.go): the
	// activities in cfg.Activities and loops. The event loops never take
	// it; they read the gate's route table.
	liveMu    sync.RWMutex
	ticketKey []byte
	nextIndex int32
	// blocklist keeps the blocklist in the store (blocklist.go).
	blocklist blocklistState
	// watcher samples the engine for the operator (observe.go).
	watcher     *observe.Watcher
	stopWatcher context.CancelFunc
}

// Open builds the engine for cfg and recovers its state from the store. It
// does not serve yet; Run does.
func Open(cfg *config.Config, log *slog.Logger) (*Server, error) {
	return openWith(cfg, log, wal.Options{Logger: pebbleLogger{log}})
}

// openWith is Open over a store opened with storeOpts; tests inject file
// system faults through it.
func openWith(cfg *config.Config, log *slog.Logger, storeOpts wal.Options) (*Server, error) {
	if cfg.Auth.Mode == "none" {
		log.Warn("AUTH MODE IS \"none\": THE uid PARAMETER IS TRUSTED AS IT COMES. ANYONE CAN BUY FOR ANYONE. DEMO ONLY — NEVER IN PRODUCTION.")
	}
	if err := os.MkdirAll(cfg.Server.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("server: create data_dir: %w", err)
	}
	store, err := wal.Open(cfg.Server.DataDir, storeOpts)
	if err != nil {
		return nil, fmt.Errorf("server: open store %s: %w", cfg.Server.DataDir, err)
	}
	s := &Server{cfg: cfg, fileCfg: cfg, log: log, store: store, committer: store.NewCommitter(), raiseFDLimit: raiseFDLimit}
	if err := s.openHandoff(); err != nil {
		s.closeStore()
		return nil, err
	}
	if err := s.build(); err != nil {
		s.closeStore()
		return nil, err
	}
	return s, nil
}

// build creates and recovers the shards, puts the configured reservation
// lists in force, and wires the loops and the gate.
func (s *Server) build() error {
	key, err := s.store.TicketKey()
	if err != nil {
		return fmt.Errorf("server: ticket key: %w", err)
	}
	s.ticketKey = key
	if err := s.loadAddedActivities(); err != nil {
		return err
	}
	shards := map[[2]string]*engine.Shard{}
	var routes []*gate.Route
	for ai := range s.cfg.Activities {
		for _, sh := range s.newShards(&s.cfg.Activities[ai]) {
			shards[[2]string{sh.loop.Spec().Activity, sh.loop.Spec().SKU}] = sh.shard
			s.loops = append(s.loops, sh.loop)
			routes = append(routes, sh.route)
		}
	}
	start := time.Now()
	sum, err := replay.Rebuild(s.store, func(activity, sku string) *engine.Shard { return shards[[2]string{activity, sku}] })
	if err != nil {
		return fmt.Errorf("server: recovery from %s: %w", s.cfg.Server.DataDir, err)
	}
	if err := s.applyConfigReservations(shards); err != nil {
		return err
	}
	if err := s.armLotteries(shards); err != nil {
		return err
	}
	for _, o := range sum.Orphans {
		s.log.Warn("store has wins for an activity/sku not in the configuration; kept in the store, not served", "activity", o.Activity, "sku", o.SKU, "wins", o.Wins)
	}
	for _, l := range s.loops {
		l.Recovered()
	}
	s.log.Info("recovered", "wins", sum.Wins, "controls", sum.Controls, "shards", len(s.loops), "took", time.Since(start))
	s.gate = gate.New(GateOptions(s.cfg), routes)
	if err := s.restoreBlocklist(shards); err != nil {
		return err
	}
	return s.recordConfigs()
}

// builtShard is one (activity, SKU) as the server assembles it.
type builtShard struct {
	shard *engine.Shard
	loop  *shardloop.Loop
	route *gate.Route
}

// newShards creates act's shards, their loops and gate routes, numbered on
// from the shards before; they are neither recovered nor running yet.
func (s *Server) newShards(act *config.Activity) []builtShard {
	clock := func() int64 { return time.Now().UnixNano() }
	var claims *engine.Claims
	if act.Limit == "activity" {
		claims = engine.NewClaims()
	}
	out := make([]builtShard, 0, len(act.Items))
	for ii := range act.Items {
		item := &act.Items[ii]
		spec := engine.Spec{
			Activity:            act.ID,
			SKU:                 item.SKU,
			Index:               s.nextIndex,
			Quota:               uint64(item.Quota()),
			Waitlist:            uint64(item.Waitlist),
			ReleasePerSec:       uint32(item.ReleasePerSec),
			StartUnixNano:       act.StartTime.UnixNano(),
			EndUnixNano:         act.EndTime.UnixNano(),
			LimitActivity:       claims != nil,
			ReservationRequired: act.Reservation == "required",
		}
		s.nextIndex++
		shard := engine.NewShard(spec, engine.NewTicketSigner(s.ticketKey), claims, nil)
		loop := shardloop.New(shard, s.committer, act.Queue, s.cfg.Server.BatchMax, clock)
		s.wireDurable(loop)
		out = append(out, builtShard{shard, loop, gate.NewRoute(RouteSpec(act, item), loop)})
	}
	return out
}

// Gate is the engine's front-end logic, for alternative front ends.
func (s *Server) Gate() *gate.Gate { return s.gate }

// Run starts the shard loops and the front end and serves until ctx ends or
// the front end fails. Then it drains in-flight attempts, stops the front
// end, closes the loops and the store, in that order: no reply is lost and no
// win is left half-written.
func (s *Server) Run(ctx context.Context, ready func(addr string)) error {
	for _, l := range s.loops {
		go l.Run()
	}
	runErr, err := s.start(ready)
	if err != nil {
		return errors.Join(err, s.abortStart())
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-runErr:
		s.log.Error("front end stopped while serving", "err", serveErr)
	}
	return errors.Join(serveErr, s.shutdown(serveErr == nil, runErr))
}

// start raises the descriptor limit, starts the admin API and the front
// end, and waits until the front end accepts. It returns the channel on
// which the front end's Run will report.
func (s *Server) start(ready func(addr string)) (<-chan error, error) {
	fdLimit, err := s.raiseFDLimit()
	if err != nil {
		return nil, err
	}
	maxConns := s.cfg.Server.MaxConnections
	if maxConns == 0 {
		maxConns = maxConnectionsFor(fdLimit)
	}
	s.front = s.newFrontEnd(maxConns)
	s.startWatcher()
	if err := s.startAdmin(); err != nil {
		return nil, err
	}
	runErr := make(chan error, 1)
	go func() { runErr <- s.front.Run() }()
	select {
	case <-s.front.Booted():
	case err := <-runErr:
		return nil, fmt.Errorf("server: start front end: %w", err)
	}
	s.log.Info("serving", "listen", s.cfg.Server.Listen, "max_connections", maxConns, "fd_limit", fdLimit)
	if ready != nil {
		ready(s.cfg.Server.Listen)
	}
	s.startPush()
	return runErr, nil
}

// abortStart undoes what Run began when it could not start serving: the
// admin API, the shard loops, the store.
func (s *Server) abortStart() error {
	var errs []error
	if s.admin != nil {
		if err := s.admin.Close(); err != nil {
			errs = append(errs, fmt.Errorf("server: close admin: %w", err))
		}
	}
	s.closeLoops()
	if err := s.closeStore(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// /healthz says draining at once while buys are still served for
// drain_delay, so load balancers move buyers elsewhere first.
func (s *Server) shutdown(frontRunning bool, runErr <-chan error) error {
	s.gate.SetDraining()
	if d := s.cfg.Server.DrainDelay; frontRunning && d > 0 {
		s.log.Info("draining: /healthz answers 503 while buys are still served", "drain_delay", d)
		time.Sleep(d)
	}
	if s.stopWatcher != nil {
		defer s.stopWatcher()
	}
	s.log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Server.ShutdownTimeout)
	defer cancel()
	var errs []error
	if s.admin != nil {
		if err := s.admin.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("server: stop admin: %w", err))
		}
	}
	if frontRunning {
		if err := s.front.Drain(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.front.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("server: stop front end: %w", err))
		}
		<-runErr
	}
	s.closeLoops()
	s.stopPush()
	if err := s.closeStore(); err != nil {
		errs = append(errs, err)
	}
	s.log.Info("stopped")
	return errors.Join(errs...)
}

// closeStore stops the group committer, then closes the store; the loops
// have stopped (or never ran).
func (s *Server) closeStore() error {
	s.committer.Close()
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("server: close store: %w", err)
	}
	return nil
}

func (s *Server) closeLoops() {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	for _, l := range s.loops {
		l.Close()
	}
	for _, l := range s.loops {
		<-l.Done()
	}
}

// adminReadTimeout bounds how long an admin request may take to arrive; a
// reservation upload of millions of uids over loopback takes seconds.
const adminReadTimeout = time.Minute

// startAdmin serves the admin API on admin_listen, when it is set.
func (s *Server) startAdmin() error {
	if s.cfg.Server.AdminListen == "" {
		return nil
	}
	l, err := net.Listen("tcp", s.cfg.Server.AdminListen)
	if err != nil {
		return fmt.Errorf("server: admin listen: %w", err)
	}
	token, err := admin.Token(s.cfg, s.log)
	if err != nil {
		l.Close()
		return fmt.Errorf("server: %w", err)
	}
	h := admin.Handler(s, admin.Options{Token: token, Addr: l.Addr().String(), Hosts: s.cfg.Admin.Hosts, Log: s.log, Pages: observe.Pages(s.watcher)})
	s.admin = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: adminReadTimeout}
	go func() {
		if err := s.admin.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin API stopped", "err", err)
		}
	}()
	s.log.Info("admin API", "listen", s.cfg.Server.AdminListen)
	return nil
}
