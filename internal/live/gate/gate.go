package gate

import (
	"bytes"
	"net/netip"
	"seckill/internal/live/meter"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"seckill/engine"
	"seckill/httpmin"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/token"
)

// Options configure a gate. The assembly (internal/app/server) builds them
// from the validated configuration; the gate fills nothing in.
type Options struct {
	AuthNone       bool           // trust the uid parameter (demo only)
	Secret         []byte         // the HMAC key of session tokens
	CaptchaSecret  []byte         // the HMAC key of captcha passes
	TokenMaxTTL    time.Duration  // tokens expiring further ahead are refused
	PerAddrPerSec  int            // attempts per client address per second; 0 = no limit
	RetryAfter     time.Duration  // what a busy answer tells the client to wait
	MaxNameBytes   int            // the longest sku a request may name
	CORSOrigins    []string       // origins whose pages may call the API
	TrustedProxies []netip.Prefix // balancers whose X-Forwarded-For is believed
	BlockedUIDs    []uint64
	BlockedAddrs   []netip.Addr
}

// Gate decides what the front end does with each request. It is safe for
// concurrent use by every event loop.
type Gate struct {
	routes        atomic.Pointer[routeSet]
	addRoutes     sync.Mutex // serializes AddRoutes
	authNone      bool
	tokens        sync.Pool // *token.Verifier for the auth secret
	captchas      sync.Pool // *token.Verifier for the captcha secret
	blocked       atomic.Pointer[blocklist]
	perAddrPerSec uint32
	addrRate      *addrRate
	inflight      *inflight
	retryAfter    []byte // the Retry-After header line for busy
	retryMs       int64
	cors          corsOrigins
	proxies       *Proxies
	maxNameBytes  int

	unroutedAttempts meter.Results
	draining         atomic.Bool // see SetDraining
}

type blocklist struct {
	uids  map[uint64]struct{}
	addrs map[netip.Addr]struct{}
}

// New builds a gate over routes.
func New(opts Options, routes []*Route) *Gate {
	g := &Gate{
		authNone:      opts.AuthNone,
		perAddrPerSec: uint32(opts.PerAddrPerSec),
		addrRate:      &addrRate{},
		inflight:      newInflight(),
		retryMs:       opts.RetryAfter.Milliseconds(),
		maxNameBytes:  opts.MaxNameBytes,
		cors:          newCORSOrigins(opts.CORSOrigins),
		proxies:       NewProxies(opts.TrustedProxies),
	}
	retrySec := int64((opts.RetryAfter + time.Second - 1) / time.Second)
	g.retryAfter = strconv.AppendInt([]byte("Retry-After: "), retrySec, 10)
	g.retryAfter = append(g.retryAfter, "\r\n"...)
	secret, captchaSecret, maxTTL := opts.Secret, opts.CaptchaSecret, opts.TokenMaxTTL
	g.tokens.New = func() any { return token.NewVerifier(secret, maxTTL) }
	g.captchas.New = func() any { return token.NewVerifier(captchaSecret, maxTTL) }
	g.routes.Store((&routeSet{}).with(routes))
	g.SetBlocklist(opts.BlockedUIDs, opts.BlockedAddrs)
	return g
}

// SetBlocklist replaces the blocklist while serving.
func (g *Gate) SetBlocklist(uids []uint64, addrs []netip.Addr) {
	b := &blocklist{uids: map[uint64]struct{}{}, addrs: map[netip.Addr]struct{}{}}
	for _, u := range uids {
		b.uids[u] = struct{}{}
	}
	for _, a := range addrs {
		b.addrs[a.Unmap()] = struct{}{}
	}
	g.blocked.Store(b)
}

// Blocklist returns the blocked uids and addresses, sorted.
func (g *Gate) Blocklist() ([]uint64, []netip.Addr) {
	b := g.blocked.Load()
	uids := make([]uint64, 0, len(b.uids))
	for u := range b.uids {
		uids = append(uids, u)
	}
	addrs := make([]netip.Addr, 0, len(b.addrs))
	for a := range b.addrs {
		addrs = append(addrs, a)
	}
	slices.Sort(uids)
	slices.SortFunc(addrs, netip.Addr.Compare)
	return uids, addrs
}

// Routes lists every route, for the admin API and /stock. The slice is
// never changed; a later AddRoutes makes a new one.
func (g *Gate) Routes() []*Route { return g.routes.Load().all }

// AddRoutes puts routes (of a round added while serving) in force: the
// event loops see either the table before or the one after, never a half
// one, and take no lock to find out. The caller's routes name (activity,
// SKU) pairs the gate does not have yet.
func (g *Gate) AddRoutes(routes []*Route) {
	g.addRoutes.Lock()
	defer g.addRoutes.Unlock()
	g.routes.Store(g.routes.Load().with(routes))
}

// Pending remembers what a queued request asked, so that its answer can be
// encoded when the shard's decision arrives.
type Pending struct {
	route         *Route
	uid           uint64
	kind          engine.Kind
	startUnixNano int64 // when the gate took the request, for the won latency
	cors          int   // the number of the request's allowed Origin, or noCORS
}

var (
	pathBuy     = []byte("/buy")
	pathStock   = []byte("/stock")
	pathResult  = []byte("/result")
	pathHealthz = []byte("/healthz")
)

// Serve handles one complete request head. It either appends a whole
// response to out and returns it with queued false, or hands the attempt to
// a shard and returns queued true; the shard then calls to.Reply(d), and the
// front end, back on its own goroutine, encodes the answer with
// Answer(p, d, ...), or calls Forget(p, d) when the client left. client is the
// peer's address (or the one its trusted balancer's PROXY header named),
// nowUnixNano the current time. A request from a listed Origin gets that
// origin's CORS lines, whatever the answer, so the page can read it.
func (g *Gate) Serve(req *httpmin.Request, client netip.Addr, nowUnixNano int64, to shardloop.Replier, p *Pending, out []byte) ([]byte, bool) {
	cors := g.cors.match(req.Origin())
	p.cors = cors
	start := len(out)
	resp, queued := g.route(req, client, nowUnixNano, to, p, out)
	if queued {
		return resp, true
	}
	return g.cors.allow(resp, start, cors), false
}

func (g *Gate) route(req *httpmin.Request, client netip.Addr, nowUnixNano int64, to shardloop.Replier, p *Pending, out []byte) ([]byte, bool) {
	path := req.Path()
	switch {
	case bytes.Equal(path, pathBuy):
		return g.attempt(req, client, nowUnixNano, engine.Buy, to, p, out)
	case bytes.Equal(path, pathResult):
		return g.attempt(req, client, nowUnixNano, engine.Lookup, to, p, out)
	case bytes.Equal(path, pathStock):
		return g.stock(req, nowUnixNano, out), false
	case bytes.Equal(path, pathHealthz):
		return g.healthz(out), false
	}
	return notFound(out), false
}

// attempt runs the cheap checks in SPEC's order of checks, then queues the
// attempt on its shard.
func (g *Gate) attempt(req *httpmin.Request, client netip.Addr, now int64, kind engine.Kind, to shardloop.Replier, p *Pending, out []byte) ([]byte, bool) {
	sku, ok := req.Query("sku")
	if !ok || !g.validSKU(sku) {
		return g.unrouted(out, kind, engine.BadRequest), false
	}
	r := g.routes.Load().bySKU.find(sku, now)
	if r == nil {
		return g.unrouted(out, kind, engine.UnknownSKU), false
	}
	uid, refused := g.authenticate(req, now)
	if refused != nil {
		return refused.encode(out), false // not an engine result: not counted per route
	}
	client, ok = req.ForwardedClient(client.Unmap(), g.proxies)
	if !ok {
		return g.counted(r, kind, engine.BadRequest, simple(out, engine.BadRequest)) // a trusted proxy's list we cannot read
	}
	// From here SPEC's order of checks, as engine.Shard.Step makes them
	// (docs/API.md, "Order of checks"; TestOrderOfChecksEveryPair holds the
	// two to it): a failed store (fail closed), the window, the blocklist,
	// the pause.
	pub := r.Loop.Public()
	if pub.Failed() {
		return g.counted(r, kind, engine.Unavailable, simple(out, engine.Unavailable))
	}
	if kind == engine.Buy {
		if now < r.StartUnixNano {
			return g.counted(r, kind, engine.NotStarted, notStarted(out, r, now))
		}
		if now >= pub.End() || pub.Ended() {
			return g.counted(r, kind, engine.Ended, withSKU(out, engine.Ended, r))
		}
	}
	if bl := g.blocked.Load(); bl != nil {
		_, u := bl.uids[uid]
		_, a := bl.addrs[client]
		if u || a {
			return g.counted(r, kind, engine.Blocked, simple(out, engine.Blocked))
		}
	}
	// A pause holds buys; /result still answers, as the engine's lookup
	// does, so a winner whose answer was lost can learn it meanwhile.
	if kind == engine.Buy && pub.Paused() {
		return g.counted(r, kind, engine.Unavailable, simple(out, engine.Unavailable))
	}
	// SPEC's order of checks from here: already_won, not_reserved,
	// captcha_required, sold_out, admission. The sold-out flag is read once,
	// so a shard selling out meanwhile cannot answer a winner sold_out.
	soldOutNow := pub.SoldOut()
	if soldOutNow {
		// The winner table is frozen once sold out: answer from it here and
		// spare the shard the stampede that follows the last unit.
		if kind == engine.Buy {
			d, ok := r.Loop.FrozenBuy(uid)
			switch {
			case !ok:
				soldOutNow = false // a lapsed unit went back on sale meanwhile: the shard decides
			case d.Result != engine.SoldOut:
				// already_won, a waitlist place, a lapsed qualification
				// (limit_reached): before not_reserved, as the engine orders them.
				return g.counted(r, kind, d.Result, g.encode(out, r, uid, &d))
			}
		} else if d, ok := r.Loop.FrozenWinner(uid); ok {
			return g.encode(out, r, uid, &d), false
		}
	}
	if kind == engine.Buy {
		// NotReserved lets through a winner a new list left out: the shard
		// answers it already_won.
		if r.Loop.Spec().ReservationRequired && pub.NotReserved(uid) {
			return g.counted(r, kind, engine.NotReserved, simple(out, engine.NotReserved))
		}
		if r.Captcha && !g.captchaOK(req, uid, now) {
			return g.counted(r, kind, engine.CaptchaRequired, simple(out, engine.CaptchaRequired))
		}
		if soldOutNow {
			return g.counted(r, kind, engine.SoldOut, soldOut(out, r))
		}
	}
	// The admission tiers come last: a busy answer says "try again", which
	// must not hide a refusal that no retry changes.
	if g.perAddrPerSec > 0 && !g.addrRate.allow(client.As16(), now/1e9, g.perAddrPerSec) {
		return g.counted(r, kind, engine.Busy, g.busy(out, g.retryMs))
	}
	if kind == engine.Buy {
		if st := r.Settings(); st.AdmitPerSec > 0 && !r.admit.allow(now/1e9, uint32(st.AdmitPerSec)) {
			return g.counted(r, kind, engine.Busy, g.busy(out, g.retryMs))
		}
	}
	if !g.inflight.acquire(uid) {
		return g.counted(r, kind, engine.Busy, g.busy(out, g.retryMs))
	}
	*p = Pending{route: r, uid: uid, kind: kind, cors: p.cors, startUnixNano: now}
	task := shardloop.Task{Attempt: engine.Attempt{Kind: kind, UID: uid, Client: client}, To: to}
	if !r.Loop.Offer(task) {
		g.inflight.release(uid)
		return g.counted(r, kind, engine.Busy, g.busy(out, g.retryMs))
	}
	return out, true
}

// Answer encodes the shard's decision for a queued request and ends the
// uid's in-flight attempt. Front ends call it on their own goroutine, not
// the shard's, so that encoding does not lengthen the per-SKU serial path.
func (g *Gate) Answer(p *Pending, d *engine.Decision, out []byte) []byte {
	g.settle(p, d)
	start := len(out)
	if p.kind == engine.Lookup && d.Result == engine.None {
		out = simple(out, engine.None)
	} else {
		out = g.encode(out, p.route, p.uid, d)
	}
	return g.cors.allow(out, start, p.cors)
}

// Forget ends the uid's in-flight attempt of a queued request whose answer
// will never be written, because its client left before the shard replied.
func (g *Gate) Forget(p *Pending, d *engine.Decision) { g.settle(p, d) }

// settle ends a queued attempt: it releases the uid and counts a /buy by
// result, observing a won one's latency from the request to now — after its
// commit — whether or not its client is still there to be told.
func (g *Gate) settle(p *Pending, d *engine.Decision) {
	g.inflight.release(p.uid)
	if p.kind == engine.Buy {
		p.route.Attempts.Add(d.Result)
		if d.Result == engine.Won {
			p.route.WonLatency.Observe(uint64(max(0, time.Now().UnixNano()-p.startUnixNano)))
		}
	}
}

// counted returns a /buy's answer out, counting it on r by result res;
// answers to other requests pass uncounted.
func (g *Gate) counted(r *Route, kind engine.Kind, res engine.Result, out []byte) ([]byte, bool) {
	if kind == engine.Buy {
		r.Attempts.Add(res)
	}
	return out, false
}

// unrouted answers a request that names no route, counting a /buy.
func (g *Gate) unrouted(out []byte, kind engine.Kind, res engine.Result) []byte {
	if kind == engine.Buy {
		g.unroutedAttempts.Add(res)
	}
	return simple(out, res)
}

// UnroutedAttempts counts the /buy attempts refused before a route was
// found (bad_request, unknown_sku), by result.
func (g *Gate) UnroutedAttempts() *meter.Results { return &g.unroutedAttempts }

// authenticate returns the caller's uid, or the refusal that answers it.
func (g *Gate) authenticate(req *httpmin.Request, now int64) (uint64, *refusal) {
	if g.authNone {
		v, ok := req.Query("uid")
		if !ok {
			return 0, &refusals[RefuseMalformed]
		}
		uid, ok := parseUint(v)
		if !ok {
			return 0, &refusals[RefuseMalformed]
		}
		return uid, nil
	}
	tok, ok := req.Query("token")
	if !ok {
		if tok, ok = req.Cookie("sk"); !ok {
			return 0, &refuseUnauthorized
		}
	}
	v := g.tokens.Get().(*token.Verifier)
	uid, err := v.Verify(tok, now/1e9)
	g.tokens.Put(v)
	if err != nil {
		return 0, &refuseUnauthorized
	}
	return uid, nil
}

// captchaOK checks the captcha pass: a token for the same uid, minted with
// the captcha secret by the captcha service once the user solved it.
func (g *Gate) captchaOK(req *httpmin.Request, uid uint64, now int64) bool {
	pass, ok := req.Query("captcha")
	if !ok {
		return false
	}
	v := g.captchas.Get().(*token.Verifier)
	passUID, err := v.Verify(pass, now/1e9)
	g.captchas.Put(v)
	return err == nil && passUID == uid
}

func (g *Gate) stock(req *httpmin.Request, now int64, out []byte) []byte {
	sku, ok := req.Query("sku")
	if !ok || !g.validSKU(sku) {
		return simple(out, engine.BadRequest)
	}
	r := g.routes.Load().bySKU.find(sku, now)
	if r == nil {
		return simple(out, engine.UnknownSKU)
	}
	return stockBody(out, r, now)
}

// validSKU reports whether b could name a configured SKU, so that garbage
// gets bad_request rather than unknown_sku.
func (g *Gate) validSKU(b []byte) bool {
	if len(b) == 0 || len(b) > g.maxNameBytes {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
