// Package admin is the operator's HTTP API (net/http on admin_listen, which
// should stay on a private address): inspect the sale, pause and resume SKUs,
// set a SKU's stock, end a round, replace an activity's reservation set and
// the blocklist while serving.
// The server builds it with Handler once its listener is bound; every path
// is behind the token (guard.go) and every action is logged (actionlog.go).
// docs/ADMIN.md is the operator's reference.
//
//	GET  /admin/stats                          every SKU's state, remaining and quota
//	POST /admin/pause?activity=ID[&sku=SKU]    stop selling (answers unavailable)
//	POST /admin/resume?activity=ID[&sku=SKU]
//	POST /admin/stock?activity=ID&sku=SKU&stock=N  set the stock (never below the qualifications issued)
//	POST /admin/end?activity=ID                end the round now (buys answer ended)
//	PUT  /admin/reservations?activity=ID       body: one decimal uid per line
//	POST /admin/qualification?activity=ID&sku=SKU&seq=N&state=paid|lapsed[&uid=U]  the mall's report of a qualification's fate (qualification.go)
//	GET  /admin/blocklist                      the blocklist in force, as PUT takes it
//	PUT  /admin/blocklist                      body: {"uids":[...],"addrs":["1.2.3.4",...]}
//	PUT  /admin/activity                       body: one [[activity]] in TOML; adds a round while serving (activity.go)
//	POST /admin/export?out=NAME[&format=F][&all=1][&cursor=C]  export winners to NAME in [export] dir (see handoff.go)
//	GET  /admin/push                           live push delivery state; POST ?requeue=failed|all re-pushes
//	GET  /admin/memstats[?gc=1]                Go heap, GC and RSS figures
//	GET  /debug/pprof/...                      Go's profiler (net/http/pprof)
//	GET  /?token=TOKEN                         opens a read-only dashboard session (cookie)
//	GET  /metrics                              Prometheus metrics (package observe, through Options.Pages)
//	GET  /, GET /admin/dashboard               the live dashboard and its JSON (package observe)
package admin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"seckill/internal/live/gate"
	"seckill/internal/live/uidset"
)

// maxBodyBytes bounds an uploaded reservation list: 10 million uids of up
// to 20 digits and a newline.
const maxBodyBytes = 10_000_000 * 21

// Engine is what the admin API operates on.
//
// SetPaused, SetReservations, SetStock, EndNow and SetBlocklist change a
// running sale through its shards:
// each SKU's shard decides the change in sequence with its attempts and
// writes a control record to the log (engine.Control), and they return only
// once every record is durable — so a 200 means the change is in the log,
// in force, and survives a restart. Errors wrap ErrNotFound (nothing to
// change), ErrRefused (the change is not valid: a stock below what was
// sold) or ErrUnavailable (some shard could not make it; ControlOutcome
// says how many did).
type Engine interface {
	Gate() *gate.Gate
	SetPaused(ctx context.Context, activity, sku string, paused bool) (ControlOutcome, error)
	SetReservations(ctx context.Context, activity string, set *uidset.Set) (ControlOutcome, error)
	SetStock(ctx context.Context, activity, sku string, stock uint64) (ControlOutcome, error)
	EndNow(ctx context.Context, activity string) (ControlOutcome, error)
	SetBlocklist(ctx context.Context, uids []uint64, addrs []netip.Addr) (ControlOutcome, error)
}

// ControlOutcome is what a control change did across the SKUs it went to.
type ControlOutcome struct {
	SKUs      int `json:"skus"`      // shards the change went to
	Applied   int `json:"applied"`   // shards that recorded it
	Unchanged int `json:"unchanged"` // shards already in that state
}

// Errors an Engine's control changes wrap.
var (
	ErrNotFound = errors.New("admin: no such activity or sku")
	// ErrRefused wraps a change the shard refuses with a reason: a stock
	// below what was sold, a qualification report that does not fit the
	// seq (paid then lapsed, a seq never issued, another holder).
	ErrRefused     = errors.New("admin: change refused")
	ErrUnavailable = errors.New("admin: change not made")
)

// controlTimeout bounds how long a control change waits for room in a busy
// shard's inbox; once queued, the shard answers within one commit.
const controlTimeout = 10 * time.Second

// Options configure the admin API's handler.
type Options struct {
	// Token is the bearer token every request must carry (see Token); it
	// must not be empty.
	Token []byte
	// Addr is the address the admin listener is bound to (host:port, the
	// real port when admin_listen asked for port 0): the Host requests must
	// name, besides localhost with that port and Hosts.
	Addr string
	// Hosts are the extra names of [admin] hosts.
	Hosts []string
	// Log receives one record per admin action; nil means slog.Default().
	Log *slog.Logger
	// Pages are other packages' read-only pages, by path pattern: the
	// dashboard at "/{$}", "/metrics". They are served for GET and HEAD,
	// behind the same guard, and accept the dashboard's session cookie.
	Pages map[string]http.Handler

	now func() time.Time // the clock of session cookies; nil = time.Now
}

// Handler returns the admin API's handler: the routes below, behind the
// guard, with every action logged.
func Handler(e Engine, o Options) http.Handler {
	if len(o.Token) == 0 {
		panic("admin: Handler without a token")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.now == nil {
		o.now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/stats", params(e, "", func(w http.ResponseWriter, r *http.Request) { stats(w, e) }))
	mux.HandleFunc("POST /admin/pause", params(e, "activity sku?", func(w http.ResponseWriter, r *http.Request) { setPaused(w, r, e, true) }))
	mux.HandleFunc("POST /admin/resume", params(e, "activity sku?", func(w http.ResponseWriter, r *http.Request) { setPaused(w, r, e, false) }))
	mux.HandleFunc("PUT /admin/reservations", params(e, "activity", func(w http.ResponseWriter, r *http.Request) { putReservations(w, r, e) }))
	mux.HandleFunc("POST /admin/qualification", params(e, "activity sku seq state uid?", func(w http.ResponseWriter, r *http.Request) { reportQualification(w, r, e) }))
	mux.HandleFunc("POST /admin/stock", params(e, "activity sku stock", func(w http.ResponseWriter, r *http.Request) { setStock(w, r, e) }))
	mux.HandleFunc("POST /admin/end", params(e, "activity", func(w http.ResponseWriter, r *http.Request) { endNow(w, r, e) }))
	mux.HandleFunc("GET /admin/blocklist", params(e, "", func(w http.ResponseWriter, r *http.Request) { getBlocklist(w, e) }))
	mux.HandleFunc("PUT /admin/blocklist", params(e, "", func(w http.ResponseWriter, r *http.Request) { putBlocklist(w, r, e) }))
	debugRoutes(mux)
	handoffRoutes(mux, e)
	activityRoutes(mux, e)
	lotteryRoutes(mux, e)
	for path, h := range o.Pages {
		mux.Handle("GET "+path, h)
	}
	if o.Pages["/{$}"] == nil && o.Pages["/"] == nil {
		mux.HandleFunc("GET /{$}", index)
	}
	sum := sha256.Sum256(o.Token)
	g := &guard{tokenSum: sum, session: newSessionKey(o.Token), hosts: newHostSet(o.Addr, o.Hosts), now: o.now, next: jsonMux{mux}}
	return actionLog{log: o.Log, next: g}
}

// index is the page at / when no dashboard is plugged in: where to read.
func index(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"api": "seckill admin", "routes": "see docs/ADMIN.md", "stats": "/admin/stats"})
}

type skuStats struct {
	Activity  string `json:"activity"`
	SKU       string `json:"sku"`
	State     string `json:"state"`
	Quota     int64  `json:"quota"`
	Remaining int64  `json:"remaining"`
}

func stats(w http.ResponseWriter, e Engine) {
	now := time.Now().UnixNano()
	var out []skuStats
	for _, r := range e.Gate().Routes() {
		out = append(out, skuStats{
			Activity:  r.Activity,
			SKU:       r.SKU,
			State:     r.State(now),
			Quota:     r.Loop.Public().Quota(),
			Remaining: r.Loop.Public().Remaining(),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"skus": out})
}

func setPaused(w http.ResponseWriter, r *http.Request, e Engine, paused bool) {
	act, sku := r.URL.Query().Get("activity"), r.URL.Query().Get("sku")
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	out, err := e.SetPaused(ctx, act, sku, paused)
	if err != nil {
		controlError(w, out, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"paused": paused, "skus": out.SKUs, "applied": out.Applied, "unchanged": out.Unchanged})
}

func putReservations(w http.ResponseWriter, r *http.Request, e Engine) {
	act := r.URL.Query().Get("activity")
	set, err := uidset.Load(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	out, err := e.SetReservations(ctx, act, set)
	if err != nil {
		controlError(w, out, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"activity": act, "uids": set.Len(), "skus": out.SKUs, "applied": out.Applied, "unchanged": out.Unchanged})
}

// controlError answers a control change that was not made everywhere: 404
// when there was nothing to change, 400 when the change is not valid (its
// error says why; nothing changed), 503 when some shard could not make it
// (the change may have been made on the others; repeating it is safe).
func controlError(w http.ResponseWriter, out ControlOutcome, err error) {
	status := http.StatusServiceUnavailable
	switch {
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrRefused):
		status = http.StatusBadRequest
	}
	writeJSON(w, status, map[string]any{"error": err.Error(), "skus": out.SKUs, "applied": out.Applied, "unchanged": out.Unchanged})
}

type blocklistBody struct {
	UIDs  []uint64 `json:"uids"`
	Addrs []string `json:"addrs"`
}

func getBlocklist(w http.ResponseWriter, e Engine) {
	uids, addrs := e.Gate().Blocklist()
	body := blocklistBody{UIDs: uids, Addrs: make([]string, len(addrs))}
	for i, a := range addrs {
		body.Addrs[i] = a.String()
	}
	writeJSON(w, http.StatusOK, body)
}

func putBlocklist(w http.ResponseWriter, r *http.Request, e Engine) {
	var body blocklistBody
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	dec.DisallowUnknownFields() // {"uid":[3]} must not empty the blocklist
	if err := dec.Decode(&body); err != nil {
		errorf(w, http.StatusBadRequest, "blocklist body: %v", err)
		return
	}
	if dec.More() {
		errorf(w, http.StatusBadRequest, "blocklist body: more than one JSON object")
		return
	}
	addrs := make([]netip.Addr, 0, len(body.Addrs))
	for _, s := range body.Addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		addrs = append(addrs, a)
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	out, err := e.SetBlocklist(ctx, body.UIDs, addrs)
	if err != nil {
		controlError(w, out, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uids": len(body.UIDs), "addrs": len(addrs), "skus": out.SKUs, "applied": out.Applied, "unchanged": out.Unchanged})
}

// errorf answers a JSON error {"error": "..."}.
func errorf(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]any{"error": fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
