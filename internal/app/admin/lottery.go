package admin

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
)

// BeaconPoster is what an engine running fair openings adds to Engine:
// PostBeacon records the public beacon of an activity's lottery on each of
// its SKUs, in sequence with their attempts, and returns once every record
// is durable. A beacon after the window closed (or for an activity without
// a lottery in force, or already drawn) wraps ErrConflict.
type BeaconPoster interface {
	PostBeacon(ctx context.Context, activity string, value []byte) (ControlOutcome, error)
}

// ErrConflict reports a change the sale's state no longer allows.
var ErrConflict = errors.New("admin: too late for that change")

// maxBeaconBytes bounds the beacon value (engine.MaxBeaconBytes): a drand
// round's randomness is 32 bytes.
const maxBeaconBytes = 64

// lotteryRoutes adds, when e is a BeaconPoster:
//
//	POST /admin/beacon?activity=A&value=HEX   the lottery's beacon, before the window closes
//
// HEX is 1..64 bytes as hex digits; anything else is 400. After the window
// closed 409: the draw takes the beacon in force at the close.
func lotteryRoutes(mux *http.ServeMux, e Engine) {
	b, ok := e.(BeaconPoster)
	if !ok {
		return
	}
	mux.HandleFunc("POST /admin/beacon", params(e, "activity value", func(w http.ResponseWriter, r *http.Request) { postBeacon(w, r, b) }))
}

func postBeacon(w http.ResponseWriter, r *http.Request, b BeaconPoster) {
	act, text := r.URL.Query().Get("activity"), r.URL.Query().Get("value")
	value, err := hex.DecodeString(text)
	if err != nil || len(value) == 0 || len(value) > maxBeaconBytes {
		errorf(w, http.StatusBadRequest, "value must be 1..%d bytes as hex digits", maxBeaconBytes)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	out, err := b.PostBeacon(ctx, act, value)
	if errors.Is(err, ErrConflict) {
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "skus": out.SKUs, "applied": out.Applied, "unchanged": out.Unchanged})
		return
	}
	if err != nil {
		controlError(w, out, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"activity": act, "beacon": hex.EncodeToString(value), "skus": out.SKUs, "applied": out.Applied, "unchanged": out.Unchanged})
}
