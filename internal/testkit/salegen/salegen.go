// Package salegen fills a store with the wins of a simulated sale, driven
// through the real engine core (engine.Shard.Step, which signs tickets and
// chains hashes) and persisted with the real wal.Log.AppendWins in group
// commits, exactly as the shard loops do. Tests and benchmarks of the
// export and the push use it to get stores that replay and verify like a
// live one, of any size.
package salegen

import (
	"errors"
	"fmt"
	"net/netip"

	"seckill/engine"
	"seckill/replay"
	"seckill/wal"
)

// ErrOptions reports options that cannot describe a sale.
var ErrOptions = errors.New("salegen: invalid options")

// Options describe one round of wins to add.
type Options struct {
	Activity string
	SKUs     []string
	PerSKU   int   // wins to add to every SKU
	Batch    int   // wins per AppendWins; 0 means 1000, the size of a busy group commit
	Start    int64 // unix nanoseconds of the first new win; 0 means 2021-01-12T12:00:00Z
}

// quota is large enough that no generated sale sells out; a shard only
// presizes for min(quota, 65536) winners.
const quota = 1 << 40

// Fill adds opts.PerSKU wins to each SKU of opts.Activity, continuing the
// chains already in the store (they are first rebuilt, as at recovery), and
// returns how many wins it added.
func Fill(log *wal.Log, opts Options) (int, error) {
	if opts.Activity == "" || len(opts.SKUs) == 0 || opts.PerSKU < 0 {
		return 0, fmt.Errorf("%w: %+v", ErrOptions, opts)
	}
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	if opts.Start == 0 {
		opts.Start = 1610452800_000_000_000
	}
	key, err := log.TicketKey()
	if err != nil {
		return 0, err
	}
	shards := map[string]*engine.Shard{}
	for i, sku := range opts.SKUs {
		shards[sku] = engine.NewShard(engine.Spec{
			Activity: opts.Activity, SKU: sku, Index: int32(i), Quota: quota,
			StartUnixNano: 0, EndUnixNano: 1 << 62,
		}, engine.NewTicketSigner(key), nil, nil)
	}
	if _, err := replay.Rebuild(log, func(act, sku string) *engine.Shard {
		if act != opts.Activity {
			return nil
		}
		return shards[sku]
	}); err != nil {
		return 0, err
	}
	wins := make([]engine.Win, 0, opts.Batch)
	added := 0
	now := opts.Start
	for skuIndex, sku := range opts.SKUs {
		s := shards[sku]
		for i := 0; i < opts.PerSKU; i++ {
			uid := uidFor(skuIndex, s.Sold()+1)
			now += 1_234_567 // about 800 wins a second per SKU
			d := s.Step(&engine.Attempt{Kind: engine.Buy, UID: uid, Client: client(uid), NowUnixNano: now})
			if d.Result != engine.Won {
				return added, fmt.Errorf("salegen: %s/%s uid %d: %v, want won", opts.Activity, sku, uid, d.Result)
			}
			wins = append(wins, engine.Win{})
			s.WinAt(d.Seq, &wins[len(wins)-1])
			if len(wins) == opts.Batch {
				if err := log.AppendWins(wins); err != nil {
					return added, err
				}
				s.MarkDurable(d.Seq)
				added += len(wins)
				wins = wins[:0]
			}
		}
		if len(wins) > 0 {
			if err := log.AppendWins(wins); err != nil {
				return added, err
			}
			s.MarkDurable(s.Sold())
			added += len(wins)
			wins = wins[:0]
		}
	}
	return added, nil
}

// uidFor is the uid that wins seq on the SKU at skuIndex. It never equals
// seq, and differs between SKUs, so a record, key or check that reads the
// uid where it means the seq (or one SKU's uid for another's) comes out
// wrong in every test built on these stores.
func uidFor(skuIndex int, seq uint64) uint64 {
	return 1_000_000 + seq*1000 + uint64(skuIndex%1000)
}

// client gives a third of the wins an IPv4 client, a third an IPv6 one and
// leaves a third unknown, so every shape of address is exported.
func client(uid uint64) netip.Addr {
	switch uid % 3 {
	case 0:
		return netip.AddrFrom4([4]byte{10, byte(uid >> 16), byte(uid >> 8), byte(uid)})
	case 1:
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(uid >> 8), 15: byte(uid)})
	}
	return netip.Addr{}
}
