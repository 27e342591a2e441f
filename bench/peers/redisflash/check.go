package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// errCheck reports a sale that broke one of its promises.
var errCheck = errors.New("redisflash: check failed")

// loadBatch is how many uids one pipelined SADD carries.
const loadBatch = 10_000

// loadSale writes a fresh sale: every SKU's stock and no winners, and the
// reservation set of uids 1..reserved.
func loadSale(ctx context.Context, rdb *redis.Client, skus []string, stock int64, reserved int) error {
	if err := rdb.Del(ctx, reservedKey()).Err(); err != nil {
		return fmt.Errorf("redisflash: load: %w", err)
	}
	for _, sku := range skus {
		if err := rdb.Del(ctx, winnersKey(sku)).Err(); err != nil {
			return fmt.Errorf("redisflash: load: %w", err)
		}
		if err := rdb.Set(ctx, stockKey(sku), stock, 0).Err(); err != nil {
			return fmt.Errorf("redisflash: load: %w", err)
		}
	}
	members := make([]any, 0, loadBatch)
	for uid := 1; uid <= reserved; uid++ {
		members = append(members, uid)
		if len(members) == loadBatch || uid == reserved {
			if err := rdb.SAdd(ctx, reservedKey(), members...).Err(); err != nil {
				return fmt.Errorf("redisflash: load reservations: %w", err)
			}
			members = members[:0]
		}
	}
	return nil
}

// checkSale reads the sale back and checks its promises: per SKU no more
// winners than stock, stock left + winners == stock, seqs exactly 1..n,
// every winner reserved; and, when won >= 0, as many winners in all as won
// answers counted. It returns one line per check and errCheck when any
// failed.
func checkSale(ctx context.Context, rdb *redis.Client, skus []string, stock int64, reserved int, won int64) ([]string, error) {
	var report, bad []string
	var total int64
	for _, sku := range skus {
		winners, err := rdb.HGetAll(ctx, winnersKey(sku)).Result()
		if err != nil {
			return nil, fmt.Errorf("redisflash: check: %w", err)
		}
		left, err := rdb.Get(ctx, stockKey(sku)).Int64()
		if err != nil {
			return nil, fmt.Errorf("redisflash: check %s stock: %w", sku, err)
		}
		n := int64(len(winners))
		total += n
		if n > stock {
			bad = append(bad, fmt.Sprintf("%s: oversold, %d winners for %d units", sku, n, stock))
		}
		if left+n != stock {
			bad = append(bad, fmt.Sprintf("%s: %d left + %d winners != %d units", sku, left, n, stock))
		}
		seen := make([]bool, n+1)
		for uidStr, seqStr := range winners {
			uid, uerr := strconv.ParseUint(uidStr, 10, 64)
			seq, serr := strconv.ParseInt(seqStr, 10, 64)
			switch {
			case uerr != nil || serr != nil:
				bad = append(bad, fmt.Sprintf("%s: malformed winner %q -> %q", sku, uidStr, seqStr))
			case seq < 1 || seq > n || seen[seq]:
				bad = append(bad, fmt.Sprintf("%s: seq %d of uid %d repeated or outside 1..%d", sku, seq, uid, n))
			case uid < 1 || uid > uint64(reserved):
				bad = append(bad, fmt.Sprintf("%s: uid %d won without a reservation", sku, uid))
			default:
				seen[seq] = true
			}
		}
	}
	report = append(report, fmt.Sprintf("skus %d, units %d each, winners %d in all", len(skus), stock, total))
	if won >= 0 {
		report = append(report, fmt.Sprintf("won answers counted by the load generator: %d", won))
		if won != total {
			bad = append(bad, fmt.Sprintf("%d winners in Redis but %d won answers", total, won))
		}
	}
	for _, b := range bad {
		report = append(report, "FAIL "+b)
	}
	if len(bad) > 0 {
		return report, fmt.Errorf("%w: %d problems", errCheck, len(bad))
	}
	report = append(report, "ok: no SKU oversold, seqs 1..n without gaps or repeats, every winner reserved")
	return report, nil
}
