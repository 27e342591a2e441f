package gate

import (
	"encoding/hex"

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

// maxBody bounds every body the gate writes; the scratch space lives on the
// stack so encoding does not allocate. The longest body is a won with a
// 64-byte SKU and activity id, a 40-hex ticket and the delivery hint, which
// config keeps short; longer texts are cut rather than overflow.
const maxBody = 1024

// Encode writes the response for a result that carries no more than its
// name; front ends use it for parse errors.
func Encode(out []byte, res engine.Result) []byte { return simple(out, res) }

func simple(out []byte, res engine.Result) []byte {
	var scratch [64]byte
	j := httpmin.JSON{B: scratch[:0]}
	j.Begin()
	j.Str("result", res.String())
	j.End()
	var extra []byte
	if res == engine.MethodNotAllowed {
		extra = allowGET
	}
	return httpmin.AppendResponse(out, Status(res), extra, j.B)
}

var allowGET = []byte(httpmin.AllowGET)

func withSKU(out []byte, res engine.Result, r *Route) []byte {
	var scratch [maxBody]byte
	j := httpmin.JSON{B: scratch[:0]}
	j.Begin()
	j.Str("result", res.String())
	j.Str("sku", r.Item.SKU)
	j.End()
	return httpmin.AppendResponse(out, Status(res), nil, j.B)
}

func soldOut(out []byte, r *Route) []byte {
	var scratch [maxBody]byte
	j := httpmin.JSON{B: scratch[:0]}
	j.Begin()
	j.Str("result", engine.SoldOut.String())
	j.Str("sku", r.Item.SKU)
	j.Str("message", r.Activity.FailText)
	j.End()
	return httpmin.AppendResponse(out, Status(engine.SoldOut), nil, j.B)
}

func notStarted(out []byte, r *Route, now int64) []byte {
	var scratch [maxBody]byte
	j := httpmin.JSON{B: scratch[:0]}
	j.Begin()
	j.Str("result", engine.NotStarted.String())
	j.Str("sku", r.Item.SKU)
	j.Int("start_unix", r.startUnixNano/1e9)
	j.Int("server_unix", now/1e9)
	j.End()
	return httpmin.AppendResponse(out, Status(engine.NotStarted), nil, j.B)
}

func (g *Gate) busy(out []byte, retryMs int64) []byte {
	var scratch [64]byte
	j := httpmin.JSON{B: scratch[:0]}
	j.Begin()
	j.Str("result", engine.Busy.String())
	j.Int("retry_ms", retryMs)
	j.End()
	return httpmin.AppendResponse(out, Status(engine.Busy), g.retryAfter, j.B)
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
	var scratch [maxBody]byte
	var ticket [2 * engine.TicketBytes]byte
	hex.Encode(ticket[:], d.Ticket[:])
	j := httpmin.JSON{B: scratch[:0]}
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
	return httpmin.AppendResponse(out, Status(res), nil, j.B)
}

func stockBody(out []byte, r *Route, now int64) []byte {
	var scratch [maxBody]byte
	j := httpmin.JSON{B: scratch[:0]}
	j.Begin()
	j.Str("activity", r.Activity.ID)
	j.Str("sku", r.Item.SKU)
	j.Str("state", r.State(now))
	j.Int("remaining", r.Loop.Public().Remaining())
	j.Int("start_unix", r.startUnixNano/1e9)
	j.Int("end_unix", r.endUnixNano/1e9)
	j.Int("server_unix", now/1e9)
	j.End()
	return httpmin.AppendResponse(out, 200, nil, j.B)
}

func healthz(out []byte) []byte {
	return httpmin.AppendResponse(out, 200, nil, []byte(`{"status":"ok"}`))
}

func notFound(out []byte) []byte {
	return httpmin.AppendResponse(out, 404, nil, []byte(`{"result":"not_found"}`))
}
