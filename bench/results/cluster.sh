#!/usr/bin/env bash
# bench/results/cluster.sh: a sale's burst through the cluster gateway
# (the nginx that `seckill gateway` generates) against the same node served
# direct, alternated, on this machine (docs/CLUSTER.md, "Figures").
#
# One node (`seckill serve -cluster F -node a`) owns 64 SKUs of 100 units;
# `seckill-bench burst` fires USERS users at once over CONNS connections,
# retrying busy, and checks every answer (100 winners per SKU, no uid
# twice, every win found again by /result). The node and nginx both run on
# core $SERVER_CPU, the load on $LOAD_CPU, so "server CPU per attempt"
# counts the node and nginx together. Each run is a fresh store.
#
#   bash bench/results/cluster.sh            # REPS=3 alternations
#   REPS=1 USERS=10000 bash bench/results/cluster.sh
#
# Starts $OUT/cluster.jsonl and $OUT/cluster-uptime.txt afresh, writes one
# JSON line per run and the load average before each run into them, and
# prints the table (medians per mode, over this run's lines only) to
# $OUT/cluster.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$ROOT/bench/results}
WORK=$(mktemp -d /tmp/seckill-cluster-bench.XXXXXX)
BIN=$WORK/bin
REPS=${REPS:-3}
USERS=${USERS:-20000}
CONNS=${CONNS:-1000}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SECRET=bench-secret-0123456789abcdef
NEXT_PORT=${BASE_PORT:-21000}
command -v nginx >/dev/null || { echo "needs nginx (apt-get install nginx-light)" >&2; exit 1; }

STARTED=() # pids this script started; only these are ever stopped
cleanup() {
	for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
	STARTED=()
}
trap 'cleanup; rm -rf "$WORK"' EXIT

next_port() {
	while [ -n "$(ss -Htan "( sport = :$NEXT_PORT )" | head -1)" ]; do NEXT_PORT=$((NEXT_PORT + 1)); done
	PORT=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 1))
}

wait_up() {
	for _ in $(seq 200); do
		curl -sf -o /dev/null "http://$1/healthz" && return
		sleep 0.05
	done
	echo "nothing healthy on $1:" >&2
	cat "$2" >&2
	exit 1
}

mkdir -p "$BIN" "$OUT"
(cd "$ROOT" && go build -o "$BIN/seckill" ./cmd/seckill && go build -o "$BIN/seckill-bench" ./cmd/seckill-bench)

# run MODE REP: a fresh node, and for MODE=gateway a fresh nginx in front.
run() {
	local mode=$1 rep=$2 dir=$WORK/$1-$2
	mkdir -p "$dir"
	next_port
	local node=127.0.0.1:$PORT
	next_port
	local gw=127.0.0.1:$PORT
	cat >"$dir/cluster.toml" <<CONF
[server]
idle_timeout = "120s"
drain_delay = "0s"
trusted_proxies = ["127.0.0.1"]
[auth]
secret = "$SECRET"
[gateway]
listen = "$gw"
[[node]]
name = "a"
listen = "$node"
data_dir = "$dir/data"
activities = ["bench"]
[[activity]]
id = "bench"
start = "now"
end = "+6h"
$(for i in $(seq 0 63); do printf '  [[activity.item]]\n  sku = "p%d"\n  stock = 100\n' "$i"; done)
CONF
	taskset -c "$SERVER_CPU" "$BIN/seckill" serve -cluster "$dir/cluster.toml" -node a >"$dir/node.log" 2>&1 &
	local pids=$!
	STARTED+=("$pids")
	wait_up "$node" "$dir/node.log"
	local target=$node
	if [ "$mode" = gateway ]; then
		"$BIN/seckill" gateway -cluster "$dir/cluster.toml" -standalone -out "$dir/nginx.conf"
		taskset -c "$SERVER_CPU" nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/nginx.out" 2>&1 &
		local master=$!
		STARTED+=("$master")
		wait_up "$gw" "$dir/nginx.out"
		pids="$pids,$master,$(pgrep -P "$master" | paste -sd,)"
		target=$gw
	fi
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	echo "$(date -u +%FT%TZ) $mode run $rep: load average $load" | tee -a "$OUT/cluster-uptime.txt" >&2
	taskset -c "$LOAD_CPU" "$BIN/seckill-bench" burst -addr "$target" -pid "$pids" -secret "$SECRET" -skus 'p{0..63}' \
		-users "$USERS" -conns "$CONNS" -procs 1 -quota 100 -label "$mode" -append "$OUT/cluster.jsonl" 2>>"$WORK/bench.err"
	cleanup
}

: >"$OUT/cluster.jsonl"
uptime | tee "$OUT/cluster-uptime.txt"
for rep in $(seq "$REPS"); do
	run direct "$rep"
	run gateway "$rep"
done
uptime | tee -a "$OUT/cluster-uptime.txt"
"$BIN/seckill-bench" table -in "$OUT/cluster.jsonl" \
	-metrics attempts_per_s,seconds,results.won,results.sold_out,results.busy,p50_us,p99_us,max_us,server.cpu_us_per_attempt,checks_pass,hiccup_max_us |
	tee "$OUT/cluster.md"
