package push

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"seckill/engine"
	"seckill/wal"
)

// Internal pacing of the loop, each bounding what the pusher holds or how
// often it looks. The operator's settings (batch, timeout, attempts,
// backoff) and their bounds and defaults are internal/config's [export].
const (
	maxBodyRead = 64 << 10              // of a response body, read only to reuse the connection
	idlePoll    = time.Second           // checks the store when no wake came, e.g. after a requeue from another process
	linger      = 20 * time.Millisecond // after a batch that was not full, so a trickle of wins costs at most 50 state writes a second
)

// Options configure a Pusher; the assembly (internal/app/server, cmd/seckill)
// builds them from the [export] section, which bounds and defaults each.
// New checks only what the pusher needs to work at all.
type Options struct {
	URL string // the mall's endpoint, http(s)
	// Secret keys the HMAC-SHA256 signature of every batch
	// (X-Seckill-Signature); required, so the mall can refuse forged winners.
	Secret []byte
	// CAFile, when set, is a PEM file of the roots that an https mall's
	// certificate must chain to (a private CA); otherwise the system roots.
	CAFile      string
	Batch       int           // records per POST, at least 1
	Timeout     time.Duration // of one POST, response included
	MaxAttempts int           // failed POSTs before a record is parked as failed
	Backoff     time.Duration // ceiling of the first retry's wait
	BackoffMax  time.Duration // ceiling of any wait, at least Backoff
	Logger      *slog.Logger
}

// check reports every setting the pusher cannot work with, at once.
func (o *Options) check() error {
	var problems []error
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...))
	}
	if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("url %q is not http(s)", o.URL)
	}
	if len(o.Secret) == 0 {
		bad("secret is empty; the mall could not tell our batches from forged ones")
	}
	if o.Batch < 1 {
		bad("batch %d is below 1", o.Batch)
	}
	if o.Timeout <= 0 {
		bad("timeout %v is not positive", o.Timeout)
	}
	if o.MaxAttempts < 1 {
		bad("max attempts %d is below 1", o.MaxAttempts)
	}
	if o.Backoff <= 0 || o.BackoffMax < o.Backoff {
		bad("backoff %v..%v must satisfy 0 < backoff <= max", o.Backoff, o.BackoffMax)
	}
	return errors.Join(problems...)
}

// newClient is the pusher's HTTP client: it never follows a redirect (a
// 3xx is a failed POST: the signed winners go to the configured URL or
// nowhere), and trusts CAFile's roots when set.
func newClient(o *Options) (*http.Client, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2 // one POST at a time, plus one being retired
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: ca file: %w", ErrOptions, err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: ca file %s holds no PEM certificate", ErrOptions, o.CAFile)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Timeout:   o.Timeout,
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// Pusher delivers the store's winners to the mall. Create it with New; run
// it with Start/Stop beside a serving engine, or Drain it from the command
// line. Its memory is one batch; the backlog is the store.
type Pusher struct {
	log    store
	opts   Options
	client *http.Client
	logger *slog.Logger
	wake   chan struct{}

	// mu guards marks and gen and is held while a batch is read from the
	// store or its outcome written, never during a POST, so Requeue waits
	// at most one store scan.
	mu    sync.Mutex
	marks map[chainKey]mark
	// promoted is each SKU's promoted-record watermark (promotions.go).
	promoted      map[chainKey]uint64
	promotedFails uint32 // failed POSTs of promoted records in a row; the loop's alone
	gen           uint64 // bumped by Requeue: a batch read before it settles nothing

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
	promoted, err := loadPromoted(log)
	if err != nil {
		return nil, err
	}
	client, err := newClient(&opts)
	if err != nil {
		return nil, err
	}
	p := &Pusher{log: log, opts: opts, client: client, logger: opts.Logger, marks: marks, promoted: promoted, wake: make(chan struct{}, 1)}
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
			sent, err := p.pushPromoted(ctx, drain)
			switch {
			case err != nil && drain:
				return err
			case err != nil:
				p.logger.Error("push: delivering promoted records failed", "err", err)
				sleep(ctx, idlePoll)
				continue
			case sent:
				continue
			}
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
