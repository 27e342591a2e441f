package gate

import "seckill/internal/live/shardloop"

// lotteryFields adds a SKU's fair opening to its /stock body: the
// commitment from the moment it is recorded, when the window closes, the
// durable entrants, the beacon once posted, and the seed once the draw is
// durable — with which anyone can recompute the draw (docs/AUDIT.md).
func lotteryFields(j *body, lp *shardloop.LotteryPublic) {
	j.Str("lottery_commitment", lp.Commitment)
	j.Int("lottery_close_unix_ms", lp.CloseUnixNano/1e6)
	j.Int("lottery_entrants", int64(lp.Entrants))
	if lp.Beacon != "" {
		j.Str("lottery_beacon", lp.Beacon)
	}
	if lp.Seed != "" {
		j.Str("lottery_seed", lp.Seed)
	}
}
