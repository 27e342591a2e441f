package gate

import (
	"encoding/hex"
	"sync"

	"seckill/engine"
	"seckill/httpmin"
)

// statusOf maps a result to its HTTP status, per the public API table.
var statusOf = [...]int{
	engine.None:             404,
	engine.Won:              200,
	engine.AlreadyWon:       200,
	engine.SoldOut:          410,
	engine.Ended:            410,
	engine.NotStarted:       409,
	engine.Busy:             429,
	engine.NotReserved:      403,
	engine.LimitReached:     403,
	engine.Blocked:          403,
	engine.CaptchaRequired:  403,
	engine.Unauthorized:     401,
	engine.UnknownSKU:       404,
	engine.BadRequest:       400,
	engine.MethodNotAllowed: 405,
	engine.HeaderTooLarge:   431,
	engine.Unavailable:      503,
}

// Status is the HTTP status of a result.
func Status(r engine.Result) int { return statusOf[r] }

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

// Encode writes the response for a result that carries no more than its
// name; front ends use it for parse errors.
func Encode(out []byte, res engine.Result) []byte { return simple(out, res) }

func simple(out []byte, res engine.Result) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", res.String())
	j.End()
	var extra []byte
	if res == engine.MethodNotAllowed {
		extra = allowGET
	}
	return j.finish(out, Status(res), extra)
}

var allowGET = []byte(httpmin.AllowGET)

func withSKU(out []byte, res engine.Result, r *Route) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", res.String())
	j.Str("sku", r.Item.SKU)
	j.End()
	return j.finish(out, Status(res), nil)
}

func soldOut(out []byte, r *Route) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", engine.SoldOut.String())
	j.Str("sku", r.Item.SKU)
	j.Str("message", r.Activity.FailText)
	j.End()
	return j.finish(out, Status(engine.SoldOut), nil)
}

func notStarted(out []byte, r *Route, now int64) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", engine.NotStarted.String())
	j.Str("sku", r.Item.SKU)
	j.Int("start_unix", r.startUnixNano/1e9)
	j.Int("server_unix", now/1e9)
	j.End()
	return j.finish(out, Status(engine.NotStarted), nil)
}

func (g *Gate) busy(out []byte, retryMs int64) []byte {
	j := newBody()
	j.Begin()
	j.Str("result", engine.Busy.String())
	j.Int("retry_ms", retryMs)
	j.End()
	return j.finish(out, Status(engine.Busy), g.retryAfter)
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
	}
	return simple(out, d.Result)
}

func winBody(out []byte, res engine.Result, r *Route, uid uint64, d *engine.Decision) []byte {
	var ticket [2 * engine.TicketBytes]byte
	hex.Encode(ticket[:], d.Ticket[:])
	j := newBody()
	j.Begin()
	j.Str("result", res.String())
	j.Str("activity", r.Activity.ID)
	j.Str("sku", r.Item.SKU)
	j.Uint("uid", uid)
	j.Uint("seq", d.Seq)
	j.Bytes("ticket", ticket[:])
	j.Int("time_unix_ms", d.TimeUnixNano/1e6)
	j.Str("hint", r.Activity.DeliveryHint)
	j.End()
	return j.finish(out, Status(res), nil)
}

func stockBody(out []byte, r *Route, now int64) []byte {
	j := newBody()
	j.Begin()
	j.Str("activity", r.Activity.ID)
	j.Str("sku", r.Item.SKU)
	j.Str("state", r.State(now))
	j.Int("remaining", r.Loop.Public().Remaining())
	j.Int("start_unix", r.startUnixNano/1e9)
	j.Int("end_unix", r.endUnixNano/1e9)
	j.Int("server_unix", now/1e9)
	j.End()
	return j.finish(out, 200, nil)
}

func healthz(out []byte) []byte {
	return httpmin.AppendResponse(out, 200, nil, []byte(`{"status":"ok"}`))
}

func notFound(out []byte) []byte {
	return httpmin.AppendResponse(out, 404, nil, []byte(`{"result":"not_found"}`))
}
