package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"seckill/engine"
	"seckill/internal/config"
	"seckill/wal"
)

// Limits on the settings, each bounding what the pusher holds or waits.
const (
	MaxBatch       = 10_000                // records per POST: ~4 MiB of JSON, the most memory one batch takes
	MaxTimeout     = 5 * time.Minute       // a mall slower than this is down
	MaxMaxAttempts = 1000                  // beyond this a record is never given up in practice
	MaxBackoff     = time.Hour             // a dead mall is still asked once an hour
	maxBodyRead    = 64 << 10              // of a response body, read only to reuse the connection
	idlePoll       = time.Second           // checks the store when no wake came, e.g. after a requeue from another process
	linger         = 20 * time.Millisecond // after a batch that was not full, so a trickle of wins costs at most 50 state writes a second
)

// Options configure a Pusher. Config's [export] section supplies them.
type Options struct {
	URL         string        // the mall's endpoint, http(s)
	Batch       int           // records per POST, in [1, MaxBatch]
	Timeout     time.Duration // of one POST, response included
	MaxAttempts int           // failed POSTs before a record is parked as failed
	Backoff     time.Duration // ceiling of the first retry's wait
	BackoffMax  time.Duration // ceiling of any wait
	Logger      *slog.Logger
	// Client, when set, is used as is (tests); otherwise a client with
	// Timeout.
	Client *http.Client
}

// OptionsFrom takes the settings of a configuration's [export] section.
func OptionsFrom(e config.Export) Options {
	return Options{URL: e.PushURL, Batch: e.PushBatch, Timeout: e.PushTimeout, MaxAttempts: e.PushMaxAttempts,
		Backoff: e.PushBackoff, BackoffMax: e.PushBackoffMax}
}

func (o *Options) check() error {
	u, err := url.Parse(o.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%w: url %q is not http(s)", ErrOptions, o.URL)
	case o.Batch < 1 || o.Batch > MaxBatch:
		return fmt.Errorf("%w: batch %d is outside [1, %d]", ErrOptions, o.Batch, MaxBatch)
	case o.Timeout <= 0 || o.Timeout > MaxTimeout:
		return fmt.Errorf("%w: timeout %v is outside (0, %v]", ErrOptions, o.Timeout, MaxTimeout)
	case o.MaxAttempts < 1 || o.MaxAttempts > MaxMaxAttempts:
		return fmt.Errorf("%w: max attempts %d is outside [1, %d]", ErrOptions, o.MaxAttempts, MaxMaxAttempts)
	case o.Backoff <= 0 || o.BackoffMax < o.Backoff || o.BackoffMax > MaxBackoff:
		return fmt.Errorf("%w: backoff %v..%v must satisfy 0 < backoff <= max <= %v", ErrOptions, o.Backoff, o.BackoffMax, MaxBackoff)
	}
	return nil
}

// Pusher delivers the store's winners to the mall. Create it with New; run
// it with Start/Stop beside a serving engine, or Drain it from the command
// line. Its memory is one batch; the backlog is the store.
type Pusher struct {
	log    *wal.Log
	opts   Options
	client *http.Client
	logger *slog.Logger
	wake   chan struct{}

	// mu guards marks and gen and is held while a batch is read from the
	// store or its outcome written, never during a POST, so Requeue waits
	// at most one store scan.
	mu    sync.Mutex
	marks map[chainKey]mark
	gen   uint64 // bumped by Requeue: a batch read before it settles nothing

	running atomic.Bool
	cancel  context.CancelFunc
	done    chan struct{}

	// The loop's own buffers, reused from batch to batch.
	b    batch
	body []byte

	counters Counters
}

// Counters are what a Pusher did since it was created.
type Counters struct {
	Posts     atomic.Uint64 // POSTs sent
	Failures  atomic.Uint64 // of which failed (non-2xx, error or timeout)
	Delivered atomic.Uint64 // records in POSTs answered 2xx
	GaveUp    atomic.Uint64 // records parked as failed
	LastError atomic.Pointer[string]
}

// New returns a pusher over an open store, with its delivery state loaded.
func New(log *wal.Log, opts Options) (*Pusher, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	marks, err := loadMarks(log)
	if err != nil {
		return nil, err
	}
	p := &Pusher{log: log, opts: opts, client: opts.Client, logger: opts.Logger, marks: marks, wake: make(chan struct{}, 1)}
	if p.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 2 // one POST at a time, plus one being retired
		p.client = &http.Client{Timeout: opts.Timeout, Transport: t}
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Notify is the channel the shard loops signal after each durable commit:
// capacity 1, sent to without blocking, so a signal is never lost and a
// shard never waits on the pusher.
func (p *Pusher) Notify() chan<- struct{} { return p.wake }

// Counters returns the pusher's counters.
func (p *Pusher) Counters() *Counters { return &p.counters }

// Start runs the pusher in its own goroutine until Stop.
func (p *Pusher) Start() error {
	if !p.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		p.loop(ctx, false)
	}()
	return nil
}

// Stop ends a Start and waits for it: a POST in flight is abandoned (its
// records stay pending and are sent again after a restart).
func (p *Pusher) Stop() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
}

// DrainReport is what a Drain delivered and gave up.
type DrainReport struct {
	Delivered uint64
	GaveUp    uint64
}

// Drain delivers until nothing is pending or queued (records that fail
// MaxAttempts times are parked as failed) and returns; for `seckill export
// -push` on a stopped engine.
func (p *Pusher) Drain(ctx context.Context) (DrainReport, error) {
	if !p.running.CompareAndSwap(false, true) {
		return DrainReport{}, ErrRunning
	}
	defer p.running.Store(false)
	d0, g0 := p.counters.Delivered.Load(), p.counters.GaveUp.Load()
	err := p.loop(ctx, true)
	return DrainReport{Delivered: p.counters.Delivered.Load() - d0, GaveUp: p.counters.GaveUp.Load() - g0}, err
}

// loop reads a batch from the store, POSTs it and records the outcome,
// until ctx ends (or, draining, until nothing is left).
func (p *Pusher) loop(ctx context.Context, drain bool) error {
	idle := time.NewTimer(idlePoll)
	defer idle.Stop()
	for ctx.Err() == nil {
		if err := p.log.Failure(); err != nil {
			// The store failed: the engine answers unavailable until it is
			// restarted, and no delivery could be recorded. Pushing on would
			// only resend the same batch.
			if drain {
				return err
			}
			sleep(ctx, idlePoll)
			continue
		}
		b, err := p.next()
		if err != nil {
			if errors.Is(err, wal.ErrClosed) || drain {
				return err
			}
			p.logger.Error("push: reading the backlog failed", "err", err)
			sleep(ctx, idlePoll)
			continue
		}
		if len(b.wins) == 0 {
			if drain {
				return nil
			}
			idle.Reset(idlePoll)
			select {
			case <-ctx.Done():
			case <-p.wake:
			case <-idle.C:
			}
			continue
		}
		err = p.post(ctx, b)
		if ctx.Err() != nil {
			break // abandoned by Stop, not failed by the mall
		}
		if err == nil {
			serr := p.settleOK(b)
			switch {
			case serr != nil && drain:
				return serr
			case serr != nil:
				p.logger.Error("push: recording a delivery failed; it will be sent again", "err", serr)
				sleep(ctx, idlePoll)
			case len(b.wins) < p.opts.Batch:
				sleep(ctx, linger)
			}
			continue
		}
		attempts, serr := p.settleFail(b, err)
		if serr != nil {
			if drain {
				return serr
			}
			p.logger.Error("push: recording a failed attempt failed", "err", serr)
		}
		p.logger.Warn("push: batch not delivered", "records", len(b.wins), "attempt", attempts, "err", err)
		sleep(ctx, backoff(attempts, p.opts.Backoff, p.opts.BackoffMax))
	}
	return ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// batch is the records of one POST and where they came from.
type batch struct {
	wins   []engine.Win
	gen    uint64
	queued []uint32    // when the batch is of queued records: their attempts so far
	spans  []chainSpan // otherwise: per chain, its mark before and the last seq sent
}

type chainSpan struct {
	key  chainKey
	mark mark
	last uint64
}
