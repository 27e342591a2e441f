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
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"

PEER_USERS=${PEER_USERS:-100000}
PEER_CONNS=${PEER_CONNS:-15000}
PEER_UNITS=${PEER_UNITS:-1000}
PEER_RESERVED=${PEER_RESERVED:-1000000}
PEER_REPS=${PEER_REPS:-3}
# PEER_ROWS picks the servers (a diagnostic may run only seckill's two
# front ends); PEER_SVG is where the plot of the first alternation goes.
PEER_ROWS=${PEER_ROWS:-netpoll nethttp redis-lua}
PEER_SVG=${PEER_SVG:-$ROOT/docs/img/peers.svg}
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
	# PONG, not LOADING: after a restart Redis first replays its AOF (a
	# million reservations take seconds on a loaded machine).
	for _ in $(seq 1200); do
		[ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return
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

# last_wins is how many users the last run's generator heard won (won or
# already_won as their final answer): what a durable store must hold.
last_wins() { tail -1 "$OUT/peers.jsonl" | grep -o '"wins":[0-9]*' | cut -d: -f2; }

# kill9 PID kills a server this script started with -9 and waits until it
# is gone (its files unlocked). It must run in the shell that started the
# server, not in a pipeline's subshell, where wait cannot see it.
kill9() {
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# crash_server kills the last run's server with -9; the peer's Redis is
# then restarted from its AOF, for check_peer_durable to read.
crash_server() {
	case $1 in
	redis-lua)
		kill "$PEER_PID"
		kill9 "$REDIS_PID"
		start_redis "$REDIS_PORT" "$WORK/redis"
		;;
	*) kill9 "$PID" ;;
	esac
}

# check_peer_durable checks the sale Redis kept after kill -9 and a
# restart from its AOF against the last run's won answers.
check_peer_durable() {
	"$BIN/redisflash" check -redis "127.0.0.1:$REDIS_PORT" -skus "$PEER_SKU" -stock "$PEER_UNITS" -reserved "$PEER_RESERVED" -won "$(last_wins)" ||
		echo "FAIL redisflash check"
}

# check_seckill_durable audits the log of the engine killed with -9 with
# `seckill replay`: every check passes and the log holds exactly as many
# winners of the SKU as users heard won.
check_seckill_durable() {
	local name=$1 wins kept report
	wins=$(last_wins)
	report=$("$BIN/seckill" replay -data "$WORK/$name-data" 2>&1) || true
	kept=$(awk -v sku="$PEER_SKU" '$1 == "peers" && $2 == sku { print $5 }' <<<"$report")
	grep -E '^(OK|FAILED|FAIL|TRUNCATED)|^seckill replay' <<<"$report" || true
	echo "winners in the log ${kept:-none}; users who heard won: ${wins:-none}"
	if grep -q '^OK: every check passed' <<<"$report" && [ -n "$kept" ] && [ "$kept" = "$wins" ]; then
		echo "ok: seckill replay after kill -9 of the engine: every check passed, every won answer durable"
	else
		echo "FAIL seckill replay after kill -9"
	fi
}

# tcp_counters prints the kernel's counters that explain a stalled connect:
# accept queues that overflowed (the SYN is dropped and the client resends
# it after 1 s, 3 s, 7 s ...). They are the whole machine's, not only this
# run's.
TCP_COUNTERS="TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop TcpExtSyncookiesSent TcpExtTCPSynRetrans"
tcp_counters() { nstat -az $TCP_COUNTERS | awk 'NR > 1 { printf "%s %s ", substr($1, 7), $2 }'; }

# peer_run REP ROW runs one burst against a fresh ROW server and checks
# what it kept.
peer_run() {
	local rep=$1 row=$2 before
	log "peers: run $rep of $PEER_REPS, $row; $(uptime)"
	case $row in
	redis-lua) start_peer ;;
	*) start_peer_seckill "peers-$row" "$row" ;;
	esac
	before=$(tcp_counters)
	load burst -addr "127.0.0.1:$PORT" -pid "$PID" "${ADMIN[@]}" -secret "$SECRET" -skus "$PEER_SKU" \
		-users "$PEER_USERS" -conns "$PEER_CONNS" -duration 300s -quota "$PEER_UNITS" \
		-label "$row" -append "$OUT/peers.jsonl" -csv "$OUT/peers-$row-$rep.csv" 2>/dev/null || true
	crash_server "$row"
	{
		echo "== $(date -u +%FT%TZ) run $rep, $row; load $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "tcp counters (whole machine) before: $before"
		echo "tcp counters (whole machine) after:  $(tcp_counters)"
		case $row in
		redis-lua) check_peer_durable ;;
		*) check_seckill_durable "peers-$row" ;;
		esac
	} 2>&1 | tee -a "$OUT/peers-check.txt"
	stop_started
}

peers() {
	build
	build_peer
	command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install redis-server" >&2; exit 1; }
	seq 1 "$PEER_RESERVED" >"$WORK/reserved.txt"
	: >"$OUT/peers.jsonl"
	: >"$OUT/peers-check.txt"
	mkdir -p "$(dirname "$PEER_SVG")"
	local rows csvs=() names=()
	read -ra rows <<<"$PEER_ROWS"
	for rep in $(seq "$PEER_REPS"); do
		# Each alternation starts one server later, so no server always
		# runs first (right after the build) or last.
		local k=$(((rep - 1) % ${#rows[@]}))
		for row in "${rows[@]:k}" "${rows[@]:0:k}"; do
			peer_run "$rep" "$row"
		done
	done
	for row in "${rows[@]}"; do
		csvs+=("$OUT/peers-$row-1.csv")
		case $row in
		netpoll) names+=("seckill netpoll") ;;
		nethttp) names+=("seckill net/http") ;;
		redis-lua) names+=("net/http + Redis Lua") ;;
		esac
	done
	"$BIN/seckill-bench" plot -csv "$(IFS=,; echo "${csvs[*]}")" -names "$(IFS=,; echo "${names[*]}")" -out "$PEER_SVG" \
		-title "$PEER_USERS users at once, $PEER_CONNS connections, 1 SKU x $PEER_UNITS units, $PEER_RESERVED reserved (server on 1 core)"
	"$BIN/seckill-bench" table -in "$OUT/peers.jsonl" \
		-metrics attempts_per_s,seconds,results.won,results.sold_out,results.busy,p50_us,p99_us,max_us,server.cpu_us_per_attempt,server.core_busy,generator_cpu_s,server.rss_max,checks_pass | tee "$OUT/peers.md"
	{
		echo "durable checks passed (kill -9, then Redis AOF / seckill replay): $(grep -c '^ok:' "$OUT/peers-check.txt") of $((${#rows[@]} * PEER_REPS))"
		grep '^FAIL' "$OUT/peers-check.txt" || true
	} | tee -a "$OUT/peers.md"
}

# A diagnostic script may source this file for its helpers.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	peers
fi
