package gate

import (
	"encoding/hex"
	"sync"

	"seckill/engine"
	"seckill/httpmin"
)

// statusOf maps a result to its HTTP status, per the public API table.
var statusOf = [...]int{
	engine.None:            404,
	engine.Won:             200,
	engine.AlreadyWon:      200,
	engine.SoldOut:         410,
	engine.Ended:           410,
	engine.NotStarted:      409,
	engine.Busy:            429,
	engine.NotReserved:     403,
	engine.LimitReached:    403,
	engine.Blocked:         403,
	engine.CaptchaRequired: 403,
	engine.UnknownSKU:      404,
	engine.BadRequest:      400,
	engine.Unavailable:     503,
	engine.Waitlisted:      202,
}

// status is the HTTP status of a result.
func status(r engine.Result) int { return statusOf[r] }

// maxBody is the capacity of a pooled body buffer: a won with a 64-byte SKU
// and activity id, the 32-hex ticket and a delivery hint fit; a longer body
// still works, it only costs an allocation.
const maxBody = 1024

// body is a JSON body under construction in a pooled buffer, so encoding
// does not allocate in steady state.
type body struct {
	httpmin.JSON
	buf *[]byte
}

var bodyPool = sync.Pool{New: func() any {
	b := make([]byte, 0, maxBody)
	return &b
}}

func newBody() body {
	buf := bodyPool.Get().(*[]byte)
	return body{JSON: httpmin.JSON{B: (*buf)[:0]}, buf: buf}
}

// finish appends the whole response to out and returns the buffer.
func (j *body) finish(out []byte, status int, extra []byte) []byte {
	out = httpmin.AppendResponse(out, status, extra, j.B)
	*j.buf = j.B[:0]
	bodyPool.Put(j.buf)
	return out
}

func simple(out []byte, res engine.Result) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", res.String())
	j.End()
	return j.finish(out, status(res), nil)
}

// Refusal is an answer a front end gives before the gate has seen the
// request: the parser's refusals of a head, and unavailable while the
// front end drains. The HTTP-level ones are no decision about an attempt,
// so engine.Result does not name them.
type Refusal uint8

const (
	RefuseMalformed    Refusal = iota // 400 bad_request
	RefuseMethod                      // 405 method_not_allowed, with Allow: GET
	RefuseHeadTooLarge                // 431 header_too_large
	RefuseDraining                    // 503 unavailable: the server is shutting down
)

// RefusalOf is the refusal of a head the parser did not accept.
func RefusalOf(o httpmin.Outcome) Refusal {
	switch o {
	case httpmin.MethodNotAllowed, httpmin.Preflight:
		return RefuseMethod
	case httpmin.HeadTooLarge:
		return RefuseHeadTooLarge
	}
	return RefuseMalformed
}

// refusal is an answer that carries no more than its result name.
type refusal struct {
	result string
	status int
	extra  []byte // header lines the status requires
}

var refusals = [...]refusal{
	RefuseMalformed:    {engine.BadRequest.String(), status(engine.BadRequest), nil},
	RefuseMethod:       {"method_not_allowed", 405, []byte(httpmin.AllowGET)},
	RefuseHeadTooLarge: {"header_too_large", 431, nil},
	RefuseDraining:     {engine.Unavailable.String(), status(engine.Unavailable), nil},
}

// refuseUnauthorized answers a missing or invalid token: the gate's
// refusal, not a shard's decision.
var refuseUnauthorized = refusal{"unauthorized", 401, nil}

func (r *refusal) encode(out []byte) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", r.result)
	j.End()
	return j.finish(out, r.status, r.extra)
}

func withSKU(out []byte, res engine.Result, r *Route) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", res.String())
	j.Str("sku", r.SKU)
	j.End()
	return j.finish(out, status(res), nil)
}

func soldOut(out []byte, r *Route) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", engine.SoldOut.String())
	j.Str("sku", r.SKU)
	j.Str("message", r.Settings().FailText)
	j.End()
	return j.finish(out, status(engine.SoldOut), nil)
}

func notStarted(out []byte, r *Route, now int64) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", engine.NotStarted.String())
	j.Str("sku", r.SKU)
	j.Int("start_unix", r.StartUnixNano/1e9)
	j.Int("server_unix", now/1e9)
	j.End()
	return j.finish(out, status(engine.NotStarted), nil)
}

func (g *Gate) busy(out []byte, retryMs int64) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", engine.Busy.String())
	j.Int("retry_ms", retryMs)
	j.End()
	return j.finish(out, status(engine.Busy), g.retryAfter)
}

// BusyResponse is a complete busy response, for a front end that must
// refuse before it has parsed anything (a connection over the limit).
func (g *Gate) BusyResponse() []byte { return g.busy(nil, g.retryMs) }

// encode writes a shard's decision.
func (g *Gate) encode(out []byte, r *Route, uid uint64, d *engine.Decision) []byte {
	switch d.Result {
	case engine.Won, engine.AlreadyWon:
		return winBody(out, d.Result, r, uid, d)
	case engine.SoldOut:
		return soldOut(out, r)
	case engine.Ended:
		return withSKU(out, engine.Ended, r)
	case engine.Busy:
		return g.busy(out, max(d.RetryMs, 1))
	case engine.Waitlisted:
		return waitlistedBody(out, r, uid, d)
	}
	return simple(out, d.Result)
}

func winBody(out []byte, res engine.Result, r *Route, uid uint64, d *engine.Decision) []byte {
	var ticket [2 * engine.TicketBytes]byte
	hex.Encode(ticket[:], d.Ticket[:])
	j := newBody()
	j.Begin()
	j.Str("result", res.String())
	j.Str("activity", r.Activity)
	j.Str("sku", r.SKU)
	j.Uint("uid", uid)
	j.Uint("seq", d.Seq)
	j.Bytes("ticket", ticket[:])
	j.Int("time_unix_ms", d.TimeUnixNano/1e6)
	j.Str("hint", r.Settings().DeliveryHint)
	j.End()
	return j.finish(out, status(res), nil)
}

func waitlistedBody(out []byte, r *Route, uid uint64, d *engine.Decision) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", engine.Waitlisted.String())
	j.Str("activity", r.Activity)
	j.Str("sku", r.SKU)
	j.Uint("uid", uid)
	j.Uint("position", d.Position)
	j.End()
	return j.finish(out, status(engine.Waitlisted), nil)
}

func stockBody(out []byte, r *Route, now int64) []byte {
	j := newBody()
	j.Begin()
	j.Str("activity", r.Activity)
	j.Str("sku", r.SKU)
	j.Str("state", r.State(now))
	j.Int("remaining", r.Loop.Public().Remaining())
	j.Int("start_unix", r.StartUnixNano/1e9)
	j.Int("end_unix", r.End()/1e9)
	j.Int("server_unix", now/1e9)
	if lp := r.Loop.Public().Lottery(); lp != nil {
		lotteryFields(&j, lp)
	}
	j.End()
	return j.finish(out, 200, nil)
}

func notFound(out []byte) []byte {
	return httpmin.AppendResponse(out, 404, nil, []byte(`{"result":"not_found"}`))
}
