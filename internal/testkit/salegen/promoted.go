package salegen

import (
	"fmt"

	"seckill/engine"
	"seckill/wal"
)

// FillPromotion writes a sale of SKU activity/sku to l as the live driver
// would: a quota of 2 (uids 1 and 2 win seqs 1 and 2), a waitlist of 1
// (uid 3), then the mall's lapse of seq 1, which promotes uid 3 (round 1).
// It returns the promoted record as stored, whose ticket is signed under
// the log's ticket key.
func FillPromotion(l *wal.Log, activity, sku string) (engine.Control, error) {
	key, err := l.TicketKey()
	if err != nil {
		return engine.Control{}, err
	}
	s := engine.NewShard(engine.Spec{Activity: activity, SKU: sku, Quota: 2, Waitlist: 1, EndUnixNano: 1 << 62},
		engine.NewTicketSigner(key), nil, nil)
	var wins []engine.Win
	for uid := uint64(1); uid <= 3; uid++ {
		d := s.Step(&engine.Attempt{Kind: engine.Buy, UID: uid, NowUnixNano: 1000 + int64(uid)})
		if d.Record == engine.RecordWin {
			var w engine.Win
			s.WinAt(d.Seq, &w)
			wins = append(wins, w)
			s.MarkDurable(d.Seq)
		}
	}
	controls := s.TakeRecords(nil)
	lapse := engine.Control{Kind: engine.ControlLapsed, Num: 1, UID: 1, TimeUnixNano: 2000}
	if v := s.Control(&lapse); v != engine.ControlApplied {
		return engine.Control{}, fmt.Errorf("salegen: lapse: %v %v", v, s.RefusalReason())
	}
	controls = s.TakeRecords(append(controls, lapse))
	if len(wins) != 2 || len(controls) != 3 || controls[2].Kind != engine.ControlPromoted {
		return engine.Control{}, fmt.Errorf("salegen: the sale wrote %d wins and %+v", len(wins), controls)
	}
	return controls[2], l.Append(wins, controls)
}
