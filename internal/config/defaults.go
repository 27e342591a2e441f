package config

import "time"

// Defaults. Each says why it is the value a fresh install should run with.
const (
	// DefaultListen serves every interface on the conventional HTTP
	// alternative port, because the sale is public.
	DefaultListen = "0.0.0.0:8080"
	// DefaultAdminListen is empty: the admin API is off unless an operator
	// chooses where it listens, because it can stop a sale.
	DefaultAdminListen = ""
	// DefaultDataDir sits in the working directory so a first run needs no
	// setup.
	DefaultDataDir = "./seckill-data"
	// DefaultExportDir sits beside the default data_dir, never inside it,
	// so a first run can export without setup and no export file can land
	// among the store's files.
	DefaultExportDir = "./seckill-exports"
	// DefaultReadBuffer holds any real buy request head, which is a few
	// hundred bytes, and makes a flood of oversized heads cheap to refuse.
	DefaultReadBuffer = 1024
	// DefaultMaxHeadBytes accepts what real browsers send (user agent,
	// client hints and the mall's cookies: 1 to 4 KiB) with room to spare,
	// as nginx's 8 KiB header buffers do; the head is streamed through
	// read_buffer, so it costs no memory per connection.
	DefaultMaxHeadBytes = 8192
	// DefaultIdleTimeout closes slow-loris connections quickly while leaving
	// mobile clients on bad links time to finish one short request.
	DefaultIdleTimeout = 5 * time.Second
	// DefaultMaxConnections is 0, which means "derive from the process's
	// file-descriptor limit", because that limit is what actually binds.
	DefaultMaxConnections = 0
	// DefaultBatchMax bounds the attempts one group commit covers, so one
	// fsync amortises over many wins without a batch delaying replies long.
	// Like the queue it is a limit: a shard's batch buffers grow to the
	// biggest batch it has had, not to this.
	DefaultBatchMax = 1024
	// DefaultPerAddrPerSec is 0 (no limit), because many honest buyers share
	// one carrier-grade NAT address.
	DefaultPerAddrPerSec = 0
	// DefaultShutdownTimeout gives in-flight group commits and replies time to
	// drain before the process exits.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultDrainDelay is how long /healthz answers 503 draining, while
	// buys are still served, before the listener closes on a shutdown: a
	// load balancer that checks every 2 s and takes a target out after 2
	// failures (AWS NLB's fastest setting is 2 × 5 s; HAProxy's default
	// "inter 2s fall 3" is 6 s) has stopped sending new buyers by then, for
	// most; set it to interval × threshold + 1 s for yours. Longer delays
	// slow every deploy, and this engine's restarts are rare in a sale.
	DefaultDrainDelay = 5 * time.Second
	// DefaultRetryAfter spreads retries of refused ("busy") attempts over a
	// second instead of letting them return at once.
	DefaultRetryAfter = time.Second
	// DefaultFrontEnd is the gnet event loop, the production front end; the
	// others exist for benchmarks.
	DefaultFrontEnd = "netpoll"

	// DefaultAuthMode requires signed tokens, because "none" lets anyone buy
	// as any uid.
	DefaultAuthMode = "hmac"
	// DefaultTokenMaxTTL refuses tokens minted to live longer than a day, so
	// a leaked token or a mis-set clock upstream cannot outlive one sale day.
	DefaultTokenMaxTTL = 24 * time.Hour

	// DefaultPushBatch sends 500 winners per POST: about 200 KiB of JSON,
	// under the 1 MiB body limit web servers commonly default to, enough to
	// drain a sale's backlog in few requests, and little to resend on retry.
	DefaultPushBatch = 500
	// DefaultPushTimeout lets a healthy mall answer a batch (milliseconds)
	// with room for a GC pause or a failover, without holding a dead
	// connection long.
	DefaultPushTimeout = 5 * time.Second
	// DefaultPushMaxAttempts, with the default backoff, keeps retrying
	// through about 6 minutes of outage on average (12 at most, plus the
	// POSTs' own time) — a mall restart or deploy — before parking records
	// as failed for a manual re-push, as the Notify system does.
	DefaultPushMaxAttempts = 20
	// DefaultPushBackoff is the first retry's ceiling: a blip is retried
	// within a fraction of a second.
	DefaultPushBackoff = 200 * time.Millisecond
	// DefaultPushBackoffMax caps the wait, so a mall that comes back is
	// served again within a minute.
	DefaultPushBackoffMax = time.Minute

	// DefaultReservation lets anyone buy, because a reservation list is an
	// extra file the operator must choose to supply.
	DefaultReservation = "open"
	// DefaultLimit allows one win per uid per SKU, the usual flash-sale rule.
	DefaultLimit = "sku"
	// DefaultQueue bounds a SKU's inbox: deep enough to absorb a burst while
	// the shard commits, short enough that a queued buyer is answered fast.
	// It is a limit, not a size: the inbox's memory is allocated as the
	// backlog grows, so a SKU nobody crowds holds a few slots.
	DefaultQueue = 4096
	// DefaultQuotaPercent sells the whole stock.
	DefaultQuotaPercent = 100
	// DefaultFailText is shown when a buyer does not win, so it must be true
	// in every losing case.
	DefaultFailText = "Sorry, sold out"
	// DefaultPayWithin is the SPEC's example: an hour is long enough to pay
	// from a phone and short enough that a lapsed unit still reaches the
	// waitlist on the sale's day.
	DefaultPayWithin = time.Hour
	// MaxPayWithin bounds it at a month: a qualification held longer than
	// that is no longer a flash sale's, and a typo ("720000h") is caught.
	MaxPayWithin = 30 * 24 * time.Hour
)

// EnsureDefaults fills every zero or empty field that has a default. A field
// whose zero value means something of its own (admin_listen "" = off,
// max_connections 0 = derived, per-second rates 0 = no limit) is left alone.
// It also derives Auth.SecretBytes from an inline Auth.Secret and
// Admin.TokenBytes from an inline Admin.Token, so a Config built in code
// needs only the text form.
func (c *Config) EnsureDefaults() {
	s := &c.Server
	setString(&s.Listen, DefaultListen)
	setString(&s.DataDir, DefaultDataDir)
	setInt(&s.ReadBuffer, DefaultReadBuffer)
	setInt(&s.MaxHeadBytes, DefaultMaxHeadBytes)
	setDuration(&s.IdleTimeout, DefaultIdleTimeout)
	setInt(&s.BatchMax, DefaultBatchMax)
	setDuration(&s.ShutdownTimeout, DefaultShutdownTimeout)
	setDuration(&s.RetryAfter, DefaultRetryAfter)
	if !s.drainDelayOff {
		setDuration(&s.DrainDelay, DefaultDrainDelay)
	}
	setString(&s.FrontEnd, DefaultFrontEnd)

	if len(c.Admin.TokenBytes) == 0 && c.Admin.Token != "" {
		c.Admin.TokenBytes = []byte(c.Admin.Token)
	}

	setString(&c.Auth.Mode, DefaultAuthMode)
	if len(c.Auth.SecretBytes) == 0 && c.Auth.Secret != "" {
		c.Auth.SecretBytes = []byte(c.Auth.Secret)
	}
	setDuration(&c.Auth.TokenMaxTTL, DefaultTokenMaxTTL)

	e := &c.Export
	setString(&e.Dir, DefaultExportDir)
	if len(e.PushSecretBytes) == 0 && e.PushSecret != "" {
		e.PushSecretBytes = []byte(e.PushSecret)
	}
	setInt(&e.PushBatch, DefaultPushBatch)
	setDuration(&e.PushTimeout, DefaultPushTimeout)
	setInt(&e.PushMaxAttempts, DefaultPushMaxAttempts)
	setDuration(&e.PushBackoff, DefaultPushBackoff)
	setDuration(&e.PushBackoffMax, DefaultPushBackoffMax)

	for i := range c.Activities {
		a := &c.Activities[i]
		setString(&a.Reservation, DefaultReservation)
		setString(&a.Limit, DefaultLimit)
		setInt(&a.Queue, DefaultQueue)
		setString(&a.FailText, DefaultFailText)
		setDuration(&a.PayWithin, DefaultPayWithin)
		if a.OpeningLottery > 0 {
			setInt(&a.LotteryMaxEntrants, DefaultLotteryMaxEntrants)
		}
		for j := range a.Items {
			setInt(&a.Items[j].QuotaPercent, DefaultQuotaPercent)
		}
	}
}

func setString(field *string, value string) {
	if *field == "" {
		*field = value
	}
}

func setInt(field *int, value int) {
	if *field == 0 {
		*field = value
	}
}

func setDuration(field *time.Duration, value time.Duration) {
	if *field == 0 {
		*field = value
	}
}
