package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// buyLua is the whole sale decision, run atomically inside Redis: the
// already-won check (the per-user limit, one unit per user per SKU), the
// reservation check and the stock decrement, in the order seckill's SPEC
// gives. It returns {code, seq}.
//
//go:embed buy.lua
var buyLua string

// buyScript is loaded once per Redis and then called by its SHA (EVALSHA),
// as go-redis's Script.Run does.
var buyScript = redis.NewScript(buyLua)

// The script's answer codes.
const (
	codeSoldOut     = 0
	codeWon         = 1
	codeAlreadyWon  = 2
	codeNotReserved = 3
)

// errScript reports an answer the script never gives.
var errScript = errors.New("redisflash: unexpected script answer")

// Keys of one sale in Redis. The reservation set is shared by every SKU of
// the activity; each SKU has its stock counter and its winners (a hash from
// uid to seq).
func reservedKey() string          { return "sale:reserved" }
func stockKey(sku string) string   { return "sale:stock:" + sku }
func winnersKey(sku string) string { return "sale:winners:" + sku }

// decide runs the script for one attempt and returns its code and the
// winner's seq (0 unless won or already won).
func decide(ctx context.Context, rdb redis.Scripter, sku string, uid uint64) (code int64, seq int64, err error) {
	res, err := buyScript.Run(ctx, rdb, []string{reservedKey(), stockKey(sku), winnersKey(sku)}, uid).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("redisflash: buy script: %w", err)
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("%w: %v", errScript, res)
	}
	return res[0], res[1], nil
}

// lookup returns a uid's seq on sku, 0 when it has not won.
func lookup(ctx context.Context, rdb redis.Cmdable, sku string, uid uint64) (int64, error) {
	s, err := rdb.HGet(ctx, winnersKey(sku), strconv.FormatUint(uid, 10)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisflash: lookup: %w", err)
	}
	return strconv.ParseInt(s, 10, 64)
}
