package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"seckill/engine"
	"seckill/internal/app/admin"
	"seckill/internal/config"
	"seckill/wal"
)

// lotterySeedKey is where the store keeps an activity's generated lottery
// seed (when no lottery_seed_file names one): secret until the draw record
// reveals it, and the same across restarts, so the commitment holds.
func lotterySeedKey(activity string) string { return "lottery.seed/" + activity }

// armLotteries gives each lottery activity's recovered shards their seed and
// records the commitment, before serving: one ControlLotteryCommit per SKU
// (SourceConfig), the first time; an unchanged one after a restart. A
// commitment that cannot be made before the window opens is not made — the
// activity sells first come, first served, and the log says so by having
// none — and a configuration whose seed or window differ from the recorded
// commitment is refused: the draw must be the one committed to.
func (s *Server) armLotteries(shards map[[2]string]*engine.Shard) error {
	now := time.Now().UnixNano()
	var controls []engine.Control
	for ai := range s.cfg.Activities {
		act := &s.cfg.Activities[ai]
		if act.OpeningLottery <= 0 {
			continue
		}
		var pending []*engine.Shard
		for ii := range act.Items {
			shard := shards[[2]string{act.ID, act.Items[ii].SKU}]
			if shard.Lottery().InForce || now < act.StartTime.UnixNano() {
				pending = append(pending, shard)
			}
		}
		if len(pending) == 0 {
			s.log.Warn("opening_lottery not in force: the window opened before a commitment was recorded; first come, first served", "activity", act.ID)
			continue
		}
		seed, err := s.lotterySeed(act)
		if err != nil {
			return err
		}
		for _, shard := range pending {
			shard.ArmLottery(seed, act.LotteryMaxEntrants)
			c := engine.Control{Kind: engine.ControlLotteryCommit, Source: engine.SourceConfig, TimeUnixNano: now,
				Num: uint64(act.OpeningLottery), Digest: engine.LotteryCommitment(seed), Data: []byte(act.LotteryBeacon)}
			switch shard.Control(&c) {
			case engine.ControlApplied:
				controls = append(controls, c)
			case engine.ControlUnchanged:
			default:
				st := shard.Lottery()
				return fmt.Errorf("server: activity %s sku %s: the lottery committed in the log (commitment %x, window closing %s, beacon %q) is not the configured one: opening_lottery, lottery_seed_file and lottery_beacon may not change once committed",
					act.ID, shard.Spec().SKU, st.Commitment, time.Unix(0, st.CloseUnixNano).UTC().Format(time.RFC3339Nano), st.Promise)
			}
		}
	}
	if err := s.store.Append(nil, controls); err != nil {
		return fmt.Errorf("server: record the lottery commitments: %w", err)
	}
	if len(controls) > 0 {
		s.log.Info("lottery commitments recorded", "shards", len(controls))
	}
	return nil
}

// lotterySeed is the activity's seed: lottery_seed_file's, or the one the
// store keeps, drawn from crypto/rand and stored (synced) at the first
// start.
func (s *Server) lotterySeed(act *config.Activity) ([32]byte, error) {
	if act.HasLotterySeed {
		return act.LotterySeed, nil
	}
	var seed [32]byte
	found := false
	err := s.store.ScanMeta(lotterySeedKey(act.ID), func(key string, value []byte) error {
		if key == lotterySeedKey(act.ID) && len(value) == len(seed) {
			copy(seed[:], value)
			found = true
		}
		return nil
	})
	if err != nil || found {
		return seed, err
	}
	if _, err := rand.Read(seed[:]); err != nil {
		return seed, fmt.Errorf("server: lottery seed: %w", err)
	}
	if err := s.store.ApplyMeta([]wal.MetaOp{{Key: lotterySeedKey(act.ID), Value: seed[:]}}); err != nil {
		return seed, fmt.Errorf("server: store the lottery seed: %w", err)
	}
	return seed, nil
}

// PostBeacon records the beacon on every SKU of activity's lottery
// (admin.BeaconPoster).
func (s *Server) PostBeacon(ctx context.Context, activity string, value []byte) (admin.ControlOutcome, error) {
	act := s.activity(activity)
	if act == nil || act.OpeningLottery <= 0 {
		return admin.ControlOutcome{}, fmt.Errorf("%w: activity %q has no opening_lottery", admin.ErrNotFound, activity)
	}
	return s.control(ctx, activity, "", engine.Control{Kind: engine.ControlLotteryBeacon, Source: engine.SourceOperator, Data: value})
}
