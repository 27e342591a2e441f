package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"

	"seckill/engine"
	"seckill/httpmin"
	"seckill/internal/live/gate"
	"seckill/internal/live/uidset"
)

// request is one simulated buyer's request, from its head to its answer.
type request struct {
	tag     uint64
	sku     int // index into sale.skus; -1 for a SKU the sale does not have
	uid     uint64
	kind    engine.Kind
	head    []byte
	pending gate.Pending
	// listAtOffer is the reservation list the gate's pre-filter read;
	// decidedUnder is what the shard's control records had put in force
	// when it decided the attempt (the pause, the list): a win must fit it.
	// byShard says the shard decided it (decidedUnder is set), rather than
	// the gate's pre-filter.
	listAtOffer  *uidset.Set
	decidedUnder inForce
	byShard      bool
	// epoch is how many lapses the simulation had seen when the attempt
	// was decided (economics.go): an answer may name a win that lapsed
	// after it.
	epoch uint64
	// replies is where Reply puts the request once decided; decision is
	// the shard's decision.
	replies  *decisions
	decision engine.Decision
}

// answer is what a buyer reads in a response body.
type answer struct {
	status   int
	Result   string `json:"result"`
	Activity string `json:"activity"`
	SKU      string `json:"sku"`
	UID      uint64 `json:"uid"`
	Seq      uint64 `json:"seq"`
	Ticket   string `json:"ticket"`
	Position uint64 `json:"position"`
}

// parseAnswer reads the status and the JSON body of a whole response.
func parseAnswer(resp []byte) (answer, error) {
	var a answer
	line, _, ok := bytes.Cut(resp, []byte("\r\n"))
	if !ok || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) || len(line) < 12 {
		return a, fmt.Errorf("malformed status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return a, fmt.Errorf("malformed status line %q", line)
	}
	_, body, ok := bytes.Cut(resp, []byte("\r\n\r\n"))
	if !ok {
		return a, fmt.Errorf("response without a body: %q", resp)
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return a, fmt.Errorf("body %q: %w", body, err)
	}
	a.status = status
	return a, nil
}

// requestHead writes the GET a buyer sends.
func requestHead(kind engine.Kind, sku string, uid uint64, malformed bool) []byte {
	path := "/buy"
	if kind == engine.Lookup {
		path = "/result"
	}
	q := "sku=" + sku + "&uid=" + strconv.FormatUint(uid, 10)
	if malformed {
		q = "sku=" + sku // no uid: bad_request
	}
	return []byte("GET " + path + "?" + q + " HTTP/1.1\r\nHost: sim\r\nUser-Agent: seckill-sim\r\n\r\n")
}

// clientOf gives each buyer one of a few hundred addresses, so that
// per-address rate limits bite sometimes.
func clientOf(uid uint64) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(uid % 3), byte(uid % 127), 1})
}

// decisions collects, in order, the requests a shard answered during a
// StepQueued, on the simulation's own goroutine (the loop is stepped there).
type decisions struct {
	got []*request
}

// Reply implements shardloop.Replier: each queued request is its own
// replier, as a connection is live.
func (rq *request) Reply(d *engine.Decision) {
	rq.decision = *d
	rq.replies.got = append(rq.replies.got, rq)
}

// serve hands a request to the gate: the answer now, or queued on a shard.
func (w *world) serve(rq *request) ([]byte, bool) {
	w.parsed.Reset()
	if out := w.parsed.Parse(rq.head, 0); out != httpmin.Complete {
		panic(fmt.Sprintf("sim: request head %q does not parse: %v", rq.head, out))
	}
	return w.in.gate.Serve(&w.parsed, clientOf(rq.uid), w.clock.read(), rq, &rq.pending, nil)
}
