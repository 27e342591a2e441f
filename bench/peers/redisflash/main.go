// Command redisflash is the flash-sale design most teams build instead of
// seckill, kept faithful so bench/peers/run.sh can run the same sale
// against both: a Go net/http server (a goroutine per connection) in front
// of Redis, where one Lua script (buy.lua) checks the per-user limit and
// the reservation set and decrements the stock atomically. Redis runs with
// `appendonly yes` and `appendfsync always`, so a win is in the fsync'd AOF
// before Redis answers the script, and so before the HTTP `won` — the same
// durability seckill gives.
//
//	redisflash load  -redis A -skus a,b -stock N -reserved N   stock and the reservation set (uids 1..N)
//	redisflash serve -redis A -listen A -skus a,b -secret-file F
//	redisflash check -redis A -skus a,b -stock N -reserved N [-won W]
//
// It speaks seckill's public API (GET /buy and /result with sku and a
// signed token, the same result names and status codes), so
// cmd/seckill-bench drives it unchanged. check reads the sale back from
// Redis (after a restart from the AOF, in the script) and fails when any
// SKU sold more than its stock, seqs are not 1..n, a winner was not
// reserved, or the number of winners differs from the won answers the
// load generator counted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: redisflash load|serve|check [flags] (-h for flags)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis `host:port`")
	skus := fs.String("skus", "p0", "SKUs, comma separated")
	stock := fs.Int64("stock", 100, "units per SKU")
	reserved := fs.Int("reserved", 1000, "reserved users: uids 1..N")
	listen := fs.String("listen", "127.0.0.1:8080", "serve: HTTP `host:port`")
	secretFile := fs.String("secret-file", "", "serve: the token HMAC secret's `file`")
	pool := fs.Int("pool", 1000, "serve: Redis connections at most (go-redis PoolSize)")
	won := fs.Int64("won", -1, "check: won answers the load generator counted; -1 = do not compare")
	fs.Parse(os.Args[2:])
	skuList := strings.Split(*skus, ",")
	var err error
	switch os.Args[1] {
	case "load":
		rdb := redis.NewClient(adminOptions(*addr))
		err = loadSale(ctx, rdb, skuList, *stock, *reserved)
		rdb.Close()
	case "serve":
		err = serve(ctx, *addr, *listen, *secretFile, *pool, skuList)
	case "check":
		rdb := redis.NewClient(adminOptions(*addr))
		var report []string
		report, err = checkSale(ctx, rdb, skuList, *stock, *reserved, *won)
		rdb.Close()
		for _, line := range report {
			fmt.Println(line)
		}
	default:
		err = fmt.Errorf("redisflash: unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// adminOptions are load's and check's: one client whose big commands (a
// pipelined SADD of 10,000 uids, HGETALL of every winner) may wait on a
// Redis that shares its core, so it waits longer than go-redis's 3 s.
func adminOptions(addr string) *redis.Options {
	return &redis.Options{Addr: addr, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second}
}

// serve runs the HTTP front end until ctx ends.
func serve(ctx context.Context, redisAddr, listen, secretFile string, pool int, skus []string) error {
	secret, err := os.ReadFile(secretFile)
	if err != nil {
		return fmt.Errorf("redisflash: -secret-file: %w", err)
	}
	// The pool is larger than go-redis's default (10 per CPU) and waits
	// longer for a free connection, so a burst of thousands of handlers
	// queues for Redis instead of failing after 4 s.
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, PoolSize: pool, PoolTimeout: 30 * time.Second})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisflash: redis %s: %w", redisAddr, err)
	}
	srv := &http.Server{
		Addr:              listen,
		Handler:           newServer(rdb, []byte(strings.TrimSpace(string(secret))), skus),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("redisflash: %w", err)
	}
	return nil
}
