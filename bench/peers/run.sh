#!/usr/bin/env bash
# bench/peers/run.sh runs one sale-start burst against the design most teams
# build instead (bench/peers/redisflash: Go net/http + Redis with
# appendfsync always + a Lua script), seckill's netpoll front end and
# seckill's net/http front end, $PEER_REPS times in turn, for
# docs/BENCHMARKS.md §10:
#
#   $PEER_USERS users (default 100,000) fire at once from at most
#   $PEER_CONNS connections (15,000) at one SKU of $PEER_UNITS units
#   (1,000); $PEER_RESERVED users (1,000,000, uids 1..N) are reserved and
#   every attempt is checked against that set. Each user retries `busy`
#   until a final answer; cmd/seckill-bench checks every answer (no
#   oversell, seqs 1..n, no uid twice, every win visible in /result).
#   The peer's Redis is then killed with -9, restarted from its AOF, and
#   `redisflash check` compares what it kept with the won answers.
#
# Servers are pinned to core $SERVER_CPU (the peer's Go server and its
# redis-server both), the load generator to $LOAD_CPU; server CPU and RSS
# are the sums over the server's processes. Output: bench/results/peers.jsonl
# (one JSON line per run), peers.md (the medians), peers-check.txt (the
# AOF checks), peers-<server>-<rep>.csv, and docs/img/peers.svg (run 1).
# Needs redis-server (apt-get install redis-server).
set -euo pipefail
# shellcheck source=../run.sh
source "$(dirname "$0")/../run.sh"

PEER_USERS=${PEER_USERS:-100000}
PEER_CONNS=${PEER_CONNS:-15000}
PEER_UNITS=${PEER_UNITS:-1000}
PEER_RESERVED=${PEER_RESERVED:-1000000}
PEER_REPS=${PEER_REPS:-3}
PEER_SKU=hot

build_peer() {
	[ -x "$BIN/redisflash" ] && return
	(cd "$ROOT" && go build -o "$BIN/redisflash" ./bench/peers/redisflash)
}

# peer_seckill_config NAME PORT: one activity open now, one SKU, the
# reservation set required.
peer_seckill_config() {
	local name=$1 port=$2
	cat >"$WORK/$name.toml" <<EOF
[server]
listen = "127.0.0.1:$port"
admin_listen = "127.0.0.1:$((port + 1))"
data_dir = "$WORK/$name-data"
idle_timeout = "120s"
[admin]
token_file = "$ADMIN_TOKEN_FILE"
[auth]
mode = "hmac"
secret = "$SECRET"
[[activity]]
id = "peers"
start = "now"
end = "+6h"
reservation = "required"
reservations_file = "$WORK/reserved.txt"
  [[activity.item]]
  sku = "$PEER_SKU"
  stock = $PEER_UNITS
EOF
}

start_peer_seckill() {
	local name=$1 fe=$2
	next_port
	rm -rf "$WORK/$name-data"
	peer_seckill_config "$name" "$PORT"
	taskset -c "$SERVER_CPU" "$BIN/seckill" serve -config "$WORK/$name.toml" -front-end "$fe" >"$WORK/$name.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
	wait_up "$PORT" "$WORK/$name.log"
	ADMIN=(-admin "127.0.0.1:$((PORT + 1))" -admin-token-file "$ADMIN_TOKEN_FILE")
}

# start_redis PORT DIR starts redis-server with the durability seckill
# gives: every write fsync'd to the AOF before Redis answers.
start_redis() {
	local port=$1 dir=$2
	mkdir -p "$dir"
	taskset -c "$SERVER_CPU" redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
		--appendonly yes --appendfsync always --save "" --maxclients 10000 --daemonize no >>"$dir/redis.log" 2>&1 &
	REDIS_PID=$!
	STARTED+=("$REDIS_PID")
	for _ in $(seq 200); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return
		sleep 0.05
	done
	echo "redis-server on $port did not come up:" >&2
	cat "$dir/redis.log" >&2
	exit 1
}

start_peer() {
	next_port
	local port=$PORT redis_port=$((PORT + 1))
	rm -rf "$WORK/redis"
	start_redis "$redis_port" "$WORK/redis"
	log "peer: loading $PEER_RESERVED reservations and $PEER_UNITS units into Redis"
	"$BIN/redisflash" load -redis "127.0.0.1:$redis_port" -skus "$PEER_SKU" -stock "$PEER_UNITS" -reserved "$PEER_RESERVED"
	echo "$SECRET" >"$WORK/secret"
	taskset -c "$SERVER_CPU" "$BIN/redisflash" serve -redis "127.0.0.1:$redis_port" -listen "127.0.0.1:$port" \
		-skus "$PEER_SKU" -secret-file "$WORK/secret" >"$WORK/peer.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
	wait_up "$port" "$WORK/peer.log"
	PEER_PID=$PID
	PID="$PID,$REDIS_PID"
	PORT=$port
	REDIS_PORT=$redis_port
	ADMIN=()
}

# check_peer_durable kills Redis with -9, restarts it from its AOF and
# checks the sale it kept against the last run's won answers.
check_peer_durable() {
	local won
	won=$(tail -1 "$OUT/peers.jsonl" | grep -o '"results":{[^}]*}' | grep -o '"won":[0-9]*' | cut -d: -f2)
	kill "$PEER_PID"
	kill -9 "$REDIS_PID"
	wait "$REDIS_PID" 2>/dev/null || true
	start_redis "$REDIS_PORT" "$WORK/redis"
	{
		echo "== $(date -u +%FT%TZ) run $1, after kill -9 of redis-server and a restart from its AOF; load $(cut -d' ' -f1-3 /proc/loadavg)"
		"$BIN/redisflash" check -redis "127.0.0.1:$REDIS_PORT" -skus "$PEER_SKU" -stock "$PEER_UNITS" -reserved "$PEER_RESERVED" -won "${won:-0}"
	} | tee -a "$OUT/peers-check.txt"
}

peers() {
	build
	build_peer
	command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install redis-server" >&2; exit 1; }
	seq 1 "$PEER_RESERVED" >"$WORK/reserved.txt"
	: >"$OUT/peers.jsonl"
	: >"$OUT/peers-check.txt"
	mkdir -p "$ROOT/docs/img"
	for rep in $(seq "$PEER_REPS"); do
		for row in netpoll nethttp redis-lua; do
			log "peers: run $rep of $PEER_REPS, $row"
			case $row in
			redis-lua) start_peer ;;
			*) start_peer_seckill "peers-$row" "$row" ;;
			esac
			load burst -addr "127.0.0.1:$PORT" -pid "$PID" "${ADMIN[@]}" -secret "$SECRET" -skus "$PEER_SKU" \
				-users "$PEER_USERS" -conns "$PEER_CONNS" -duration 300s -quota "$PEER_UNITS" \
				-label "$row" -append "$OUT/peers.jsonl" -csv "$OUT/peers-$row-$rep.csv" 2>/dev/null || true
			[ "$row" = redis-lua ] && check_peer_durable "$rep"
			stop_started
		done
	done
	"$BIN/seckill-bench" plot -csv "$OUT/peers-netpoll-1.csv,$OUT/peers-nethttp-1.csv,$OUT/peers-redis-lua-1.csv" \
		-names "seckill netpoll,seckill net/http,net/http + Redis Lua" -out "$ROOT/docs/img/peers.svg" \
		-title "$PEER_USERS users at once, $PEER_CONNS connections, 1 SKU x $PEER_UNITS units, $PEER_RESERVED reserved (server on 1 core)"
	"$BIN/seckill-bench" table -in "$OUT/peers.jsonl" \
		-metrics attempts_per_s,seconds,results.won,results.sold_out,results.busy,p50_us,p99_us,max_us,server.cpu_us_per_attempt,server.rss_max,checks_pass | tee "$OUT/peers.md"
	grep -c '^ok:' "$OUT/peers-check.txt" | sed 's/^/redis AOF checks passed: /' | tee -a "$OUT/peers.md"
}

peers
