package server

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"seckill/engine"
	"seckill/internal/app/admin"
)

// ReportQualification records the mall's report of one qualification's
// fate (admin.QualificationReporter) through the SKU's shard, in sequence
// with its attempts. A lapse that passes the seq to the first waitlisted
// user records that promotion in the same synced commit, so a crash leaves
// both or neither; the live push then hands it to the mall.
func (s *Server) ReportQualification(ctx context.Context, activity, sku string, seq uint64, state string, uid uint64) (admin.QualificationOutcome, error) {
	out := admin.QualificationOutcome{Activity: activity, SKU: sku, Seq: seq, State: state}
	kind := engine.ControlPaid
	if state == admin.StateLapsed {
		kind = engine.ControlLapsed
	}
	for _, l := range s.loopsOf(activity, sku) {
		res, err := l.Control(ctx, engine.Control{Kind: kind, Source: engine.SourceOperator, Num: seq, UID: uid})
		if err != nil {
			return out, fmt.Errorf("%w: %w", admin.ErrUnavailable, err)
		}
		switch res.Verdict {
		case engine.ControlApplied:
			out.UID = res.Record.UID
			s.log.Info("qualification reported", "activity", activity, "sku", sku, "seq", seq, "state", state, "uid", out.UID, "control", res.Record.Seq)
		case engine.ControlUnchanged:
			out.Unchanged = true
			return out, nil
		case engine.ControlRefused:
			if errors.Is(res.Reason, engine.ErrNeverIssued) {
				return out, fmt.Errorf("%w: %w", admin.ErrNotFound, res.Reason)
			}
			return out, fmt.Errorf("%w: %w", admin.ErrRefused, res.Reason)
		default:
			return out, fmt.Errorf("%w: %s", admin.ErrUnavailable, res.Verdict)
		}
		for i := range res.Follow {
			if p := &res.Follow[i]; p.Kind == engine.ControlPromoted {
				ticket, _, round := p.Promotion()
				out.Promoted = &admin.Promotion{UID: p.UID, Round: round, Ticket: hex.EncodeToString(ticket[:])}
				s.log.Info("qualification promoted", "activity", activity, "sku", sku, "seq", seq, "uid", p.UID, "promoted_from", out.UID, "round", round)
			}
		}
		out.ReturnedToSale = kind == engine.ControlLapsed && out.Promoted == nil && res.Record.TimeUnixNano < l.Public().End()
		return out, nil
	}
	return out, fmt.Errorf("%w: activity %q has no sku %q", admin.ErrNotFound, activity, sku)
}
