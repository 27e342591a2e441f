package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// QualificationReporter is what an engine that takes the mall's reports of
// each qualification's fate adds to Engine (the sale economics, SPEC "Sale
// economics"): ReportQualification records a paid or lapsed report in
// sequence with the SKU's attempts and returns once the record — and the
// promotion a lapse sets off — is durable. It is idempotent: the same
// report again is QualificationOutcome.Unchanged. Errors wrap ErrNotFound,
// ErrUnavailable, or ErrRefused with the shard's reason.
type QualificationReporter interface {
	ReportQualification(ctx context.Context, activity, sku string, seq uint64, state string, uid uint64) (QualificationOutcome, error)
}

// QualificationOutcome is what a report did.
type QualificationOutcome struct {
	Activity string `json:"activity"`
	SKU      string `json:"sku"`
	Seq      uint64 `json:"seq"`
	State    string `json:"state"`
	// UID is the holder the report was recorded for.
	UID       uint64 `json:"uid,omitempty"`
	Unchanged bool   `json:"unchanged"`
	// Promoted is the first waitlisted user, who got the lapsed seq.
	Promoted *Promotion `json:"promoted,omitempty"`
	// ReturnedToSale: nobody waited and the round is open, so the unit
	// is on sale again.
	ReturnedToSale bool `json:"returned_to_sale,omitempty"`
}

// Promotion is a lapsed seq issued again.
type Promotion struct {
	UID    uint64 `json:"uid"`
	Round  uint64 `json:"round"`
	Ticket string `json:"ticket"`
}

// Qualification states a report may give.
const (
	StatePaid   = "paid"
	StateLapsed = "lapsed"
)

func reportQualification(w http.ResponseWriter, r *http.Request, e Engine) {
	rep, ok := e.(QualificationReporter)
	if !ok {
		errorf(w, http.StatusNotImplemented, "this engine takes no qualification reports")
		return
	}
	q := r.URL.Query()
	seq, err := strconv.ParseUint(q.Get("seq"), 10, 64)
	if err != nil || seq == 0 {
		errorf(w, http.StatusBadRequest, "seq %q: must be a positive integer (a winner record's seq)", q.Get("seq"))
		return
	}
	state := q.Get("state")
	if state != StatePaid && state != StateLapsed {
		errorf(w, http.StatusBadRequest, "state %q: must be %q or %q", state, StatePaid, StateLapsed)
		return
	}
	var uid uint64
	if s := q.Get("uid"); s != "" {
		if uid, err = strconv.ParseUint(s, 10, 64); err != nil {
			errorf(w, http.StatusBadRequest, "uid %q: must be a decimal uid", s)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	out, err := rep.ReportQualification(ctx, q.Get("activity"), q.Get("sku"), seq, state, uid)
	switch {
	case errors.Is(err, ErrNotFound):
		errorf(w, http.StatusNotFound, "%v", err)
	case errors.Is(err, ErrRefused):
		errorf(w, http.StatusConflict, "%v", err)
	case err != nil:
		errorf(w, http.StatusServiceUnavailable, "%v", err)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}
