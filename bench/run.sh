#!/usr/bin/env bash
# bench/run.sh reproduces every row of docs/BENCHMARKS.md.
#
#   bench/run.sh machine    the machine: CPU, cores, kernel, load average
#   bench/run.sh gobench    go test -bench: parser, shard step, encoding, token, gate
#   bench/run.sh durable    durable wins/s and Offer-to-Reply p99 (shardloop + real wal)
#   bench/run.sh uids       10 million reserved uids: load time and peak memory
#   bench/run.sh cpu        server CPU per request: floor, nginx, netpoll, net/http
#   bench/run.sh wrk        the same servers driven by wrk instead of seckill-bench
#   bench/run.sh hold       memory per held (half-sent) connection, 15,000 held
#   bench/run.sh overload   10x and 20x the admitted rate: RSS over time and worst latency
#   bench/run.sh burst      a sale's burst with correctness checks, and its plot
#   bench/run.sh strace     system calls per Connection: close request (strace -c -f)
#                           for floor, nginx, netpoll and net/http
#   bench/run.sh metrics    CPU per sold-out /buy with metrics (this tree, scraped
#                           every second) against BASE_REV's build without them
#   bench/run.sh waitlist   server CPU per answer over sockets: a stream of sold_out
#                           attempts against streams of waitlisted users' retries
#                           (answered by the shard, and from the frozen view)
#   bench/run.sh all        every one of the above but metrics and waitlist, in that order
#                           (strace last)
#
# Servers run pinned to core $SERVER_CPU (0), the load to core $LOAD_CPU (1);
# CPU is read from /proc/PID/stat (utime+stime), not from wall time. Each
# measured row is a JSON line appended to $OUT/<row>.jsonl (default
# bench/results/); the tables are printed from those files as medians over
# $REPS alternations (default 5; 3 for the slow rows). Needs Go, curl, and
# for the peers `apt-get install -y nginx-light wrk` (and ss, from iproute2).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/bench/results}
WORK=${WORK:-$(mktemp -d /tmp/seckill-bench.XXXXXX)}
BIN=$WORK/bin
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
REPS=${REPS:-5}
CPU_REPS=${CPU_REPS:-10} # alternations of the CPU rows
COUNT=${COUNT:-40000}    # requests per CPU measurement
CONNS=${CONNS:-64}     # connections in flight for the CPU rows
SECRET=bench-secret-0123456789abcdef
mkdir -p "$OUT" "$BIN" "$WORK"
# Every engine's admin API takes this token; seckill-bench sends it for
# /admin/memstats.
ADMIN_TOKEN_FILE=$WORK/admin.token
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$ADMIN_TOKEN_FILE")

STARTED=() # pids this script started; only these are ever killed
# Every server gets fresh ports: a port a server just closed thousands of
# connections on is full of TIME_WAIT sockets, which a listener of another
# kind (without SO_REUSEPORT) may not bind over for a minute.
NEXT_PORT=${BASE_PORT:-20000}
next_port() {
	while [ -n "$(ss -Htan "( sport = :$NEXT_PORT or sport = :$((NEXT_PORT + 1)) )" | head -1)" ]; do
		NEXT_PORT=$((NEXT_PORT + 2)) # in use, or still in TIME_WAIT from an earlier run
	done
	PORT=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 2))
}
cleanup() {
	for pid in "${STARTED[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${STARTED[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	STARTED=()
}
trap cleanup EXIT

log() { echo "== $*" >&2; }

build() {
	[ -x "$BIN/seckill" ] && [ -x "$BIN/seckill-bench" ] && return
	log "building into $BIN"
	(cd "$ROOT" && go build -o "$BIN/seckill" ./cmd/seckill && go build -o "$BIN/seckill-bench" ./cmd/seckill-bench)
}

load() { taskset -c "$LOAD_CPU" "$BIN/seckill-bench" "$@"; }

# seckill_config NAME PORT writes the benchmark sale: one activity open now
# with the SKUs every row uses.
seckill_config() {
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
id = "bench"
start = "now"
end = "+6h"
  [[activity.item]]
  sku = "soldout"   # stock 1: the warm-up sells it; then every /buy is the stampede's sold_out
  stock = 1
  [[activity.item]]
  sku = "lookup"    # /result for users without a win: a round trip through the shard, no write
  stock = 10
  [[activity.item]]
  sku = "big"       # every /buy of a new uid wins: a durable (fsync'd) win per attempt
  stock = 100000000
  [[activity.item]]
  sku = "hold"
  stock = 1000
$(for i in $(seq 0 63); do printf '  [[activity.item]]\n  sku = "p%d"\n  stock = 100\n' "$i"; done)
[[activity]]
id = "overload"
start = "now"
end = "+6h"
admit_per_sec = 250 # tier 1: the admitted rate the overload rows multiply
  [[activity.item]]
  sku = "ovl"
  stock = 100000000
${EXTRA_TOML:-}
EOF
}

# start_seckill NAME FRONT_END starts a fresh engine pinned to the server
# core and waits until it answers; its pid is in PID, its port in PORT and
# its admin API on PORT+1.
start_seckill() {
	local name=$1 fe=$2
	next_port
	local port=$PORT
	rm -rf "$WORK/$name-data"
	seckill_config "$name" "$port"
	taskset -c "$SERVER_CPU" "${SECKILL:-$BIN/seckill}" serve -config "$WORK/$name.toml" -front-end "$fe" >"$WORK/$name.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
	wait_up "$port" "$WORK/$name.log"
}

# start_nginx starts nginx (one worker) pinned to the server core,
# answering every request with the floor's constant body; PID is
# "master,worker", the port is in PORT.
start_nginx() {
	next_port
	local port=$PORT
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 19000; }
http {
  access_log off;
  client_header_timeout 120s;
  server {
    listen 127.0.0.1:$port backlog=4096;
    location / {
      default_type application/json;
      return 200 '{"result":"floor"}';
    }
  }
}
EOF
	taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx.log" 2>&1 &
	local master=$!
	STARTED+=("$master")
	wait_up "$port" "$WORK/nginx.log"
	PID="$master,$(pgrep -P "$master" | paste -sd,)"
}

wait_up() {
	local port=$1 logf=$2
	for _ in $(seq 200); do
		if curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then
			return
		fi
		sleep 0.05
	done
	echo "server on $port did not come up:" >&2
	cat "$logf" >&2
	exit 1
}

stop_started() { cleanup; }

token() { "$BIN/seckill" token -uid "$1" -secret "$SECRET" -ttl 6h; }

machine() {
	{
		echo "date: $(date -u +%FT%TZ)"
		echo "nproc: $(nproc)"
		echo "kernel: $(uname -srm)"
		echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "memory: $(grep MemTotal /proc/meminfo)"
		echo "fd limit (hard): $(ulimit -Hn)"
		echo "go: $(go version)"
		echo "nginx: $(nginx -v 2>&1)"
		echo "wrk: $(wrk -v 2>&1 | head -1)"
		lscpu
	} | tee "$OUT/machine.txt"
}

gobench() {
	build
	log "go test -bench (hot paths), $REPS repetitions"
	(cd "$ROOT" && go test -run '^$' -bench 'Parse|AppendResponse|JSON|Step|Verify|ServeUnauthorized|AnswerWon|Contains' \
		-benchmem -count "$REPS" ./httpmin ./engine ./internal/live/token ./internal/live/gate ./internal/live/uidset) | tee "$OUT/gobench.txt"
	"$BIN/seckill-bench" gobench <"$OUT/gobench.txt" | tee "$OUT/gobench.md"
}

# durable runs BenchmarkDurableWins at issue 13's shapes (1, 16, 256, 1,024
# and 4,096 SKUs; one attempt outstanding per SKU and 1,024 in all), with the
# cross-shard group commit (commit=round, as the server runs) and with one
# commit per shard batch (commit=shard) for comparison, each repetition next
# to a probe of the disk's fsync latency in the same directory.
durable() {
	build
	local reps=${REPS_SLOW:-3} benchtime=${DURABLE_BENCHTIME:-2s} shapes=${DURABLE_SHAPES:-.}
	log "durable wins: shardloop + real wal, $reps repetitions of -benchtime $benchtime, each next to a probe of the disk's fsync"
	: >"$OUT/durable.txt"
	: >"$OUT/fsync.jsonl"
	# The test binary's temporary directory is where the store lives.
	local tmp=${TMPDIR:-/tmp}
	echo "# $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/durable.txt"
	for _ in $(seq "$reps"); do
		"$BIN/seckill-bench" fsync -dir "$tmp" -n 300 -label "fsync $tmp" -append "$OUT/fsync.jsonl"
		(cd "$ROOT" && go test -run '^$' -bench "DurableWins/$shapes" -benchtime "$benchtime" -count 1 -timeout 30m ./internal/live/shardloop) | tee -a "$OUT/durable.txt"
		echo "# $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/durable.txt"
	done
	"$BIN/seckill-bench" gobench <"$OUT/durable.txt" | tee "$OUT/durable.md"
	"$BIN/seckill-bench" table -in "$OUT/fsync.jsonl" -metrics p50_ms,p99_ms,max_ms | tee -a "$OUT/durable.md"
}

uids() {
	build
	local reps=${REPS_SLOW:-3}
	log "10M reserved uids: generate, then load $reps times in a fresh process"
	"$BIN/seckill-bench" uids gen -n 10000000 -out "$WORK/uids.txt"
	: >"$OUT/uids.jsonl"
	for _ in $(seq "$reps"); do
		taskset -c "$SERVER_CPU" "$BIN/seckill-bench" uids load -file "$WORK/uids.txt" -label "10M uids" -append "$OUT/uids.jsonl"
	done
	"$BIN/seckill-bench" table -in "$OUT/uids.jsonl" -metrics seconds,peak_rss,heap_inuse,bytes_per_uid | tee "$OUT/uids.md"
}

# cpu measures each server's CPU per request over COUNT requests, the
# servers alternating CPU_REPS times.
cpu() {
	build
	start_seckill floor floor
	local floor=$PID floorp=$PORT
	start_seckill netpoll netpoll
	local netpoll=$PID netpollp=$PORT
	start_seckill nethttp nethttp
	local nethttp=$PID nethttpp=$PORT
	start_nginx
	local nginx=$PID nginxp=$PORT
	local common=(-secret "$SECRET" -conns "$CONNS" -count "$COUNT" -append "$OUT/cpu.jsonl")
	local np=(-addr "127.0.0.1:$netpollp" -pid "$netpoll" -admin "127.0.0.1:$((netpollp + 1))" -admin-token-file "$ADMIN_TOKEN_FILE")
	local nh=(-addr "127.0.0.1:$nethttpp" -pid "$nethttp" -admin "127.0.0.1:$((nethttpp + 1))" -admin-token-file "$ADMIN_TOKEN_FILE")
	: >"$OUT/cpu.jsonl"
	for rep in $(seq "$CPU_REPS"); do
		log "cpu: alternation $rep of $CPU_REPS"
		load fixed -addr "127.0.0.1:$floorp" -pid "$floor" -skus soldout -label floor "${common[@]}"
		load fixed -addr "127.0.0.1:$nginxp" -pid "$nginx" -skus soldout -label "nginx return 200" "${common[@]}"
		load fixed "${np[@]}" -skus soldout -label "netpoll sold_out" "${common[@]}"
		load fixed "${nh[@]}" -skus soldout -label "nethttp sold_out" "${common[@]}"
		load fixed "${np[@]}" -skus lookup -path /result -label "netpoll /result" "${common[@]}"
		load fixed "${nh[@]}" -skus lookup -path /result -label "nethttp /result" "${common[@]}"
		# Every attempt of a new uid on the big SKU wins: uid ranges differ per alternation.
		load fixed "${np[@]}" -skus big -users 100000000 -uid-base $((rep * 1000000)) -label "netpoll won" "${common[@]}"
		load fixed "${nh[@]}" -skus big -users 100000000 -uid-base $((rep * 1000000)) -label "nethttp won" "${common[@]}"
	done
	stop_started
	cpu_table
}

# waitlist_rows measures the server's CPU per answer for a stream of
# sold_out attempts and for streams of retries by users who hold a waitlist
# place (issue 11), on one netpoll server, alternating WL_REPS times. "wl"
# has a waitlist far larger than its users, so it never sells out and each
# retry goes through the shard (Step answers waitlisted, no record);
# "wlfull"'s waitlist is exactly its users but the winner, so once they
# joined it is sold out and the event loop answers their retries from the
# frozen view. Before the alternations WL_USERS uids (1..WL_USERS) buy once
# on each (one wins, the rest are waitlisted); every measured attempt is
# one of theirs again.
waitlist_rows() {
	build
	local users=${WL_USERS:-1000} reps=${WL_REPS:-3} count=${WL_COUNT:-20000}
	EXTRA_TOML=$(printf '[[activity]]\nid = "wl"\nstart = "now"\nend = "+6h"\n  [[activity.item]]\n  sku = "wl"\n  stock = 1\n  waitlist = %d\n  [[activity.item]]\n  sku = "wlfull"\n  stock = 1\n  waitlist = %d\n' $((users * 100)) $((users - 1)))
	EXTRA_TOML=$EXTRA_TOML start_seckill waitlist netpoll
	local pid=$PID port=$PORT
	local common=(-addr "127.0.0.1:$port" -pid "$pid" -admin "127.0.0.1:$((port + 1))" -admin-token-file "$ADMIN_TOKEN_FILE"
		-secret "$SECRET" -conns "$CONNS" -users "$users" -uid-base 1)
	load fixed "${common[@]}" -count "$users" -warmup 0 -skus wl -label "prepare wl"
	load fixed "${common[@]}" -count "$users" -warmup 0 -skus wlfull -label "prepare wlfull"
	common+=(-count "$count" -append "$OUT/waitlist.jsonl")
	: >"$OUT/waitlist.jsonl"
	for rep in $(seq "$reps"); do
		log "waitlist: alternation $rep of $reps (load $(cut -d' ' -f1-3 /proc/loadavg))"
		load fixed "${common[@]}" -skus soldout -label "netpoll sold_out"
		load fixed "${common[@]}" -skus wl -label "netpoll waitlisted retry (shard)"
		load fixed "${common[@]}" -skus wlfull -label "netpoll waitlisted retry (frozen view)"
	done
	stop_started
	"$BIN/seckill-bench" table -in "$OUT/waitlist.jsonl" -base "netpoll sold_out" \
		-metrics server.cpu_us_per_attempt,server.cpu_user_s,server.cpu_sys_s,attempts_per_s,p99_us,server.run_delay_s | tee "$OUT/waitlist-sockets.md"
}

cpu_table() {
	"$BIN/seckill-bench" table -in "$OUT/cpu.jsonl" -base floor \
		-metrics server.cpu_us_per_attempt,server.cpu_user_s,server.cpu_sys_s,server.alloc_bytes_per_attempt,server.mallocs_per_attempt,attempts_per_s,p99_us,server.run_delay_s | tee "$OUT/cpu.md"
}

wrk_rows() {
	build
	start_seckill floor floor
	local floor="$PID $PORT"
	start_seckill netpoll netpoll
	local netpoll="$PID $PORT"
	start_seckill nethttp nethttp
	local nethttp="$PID $PORT"
	start_nginx
	local nginx="$PID $PORT"
	local tok
	tok=$(token 1)
	# Sell the soldout SKU on both engines first.
	curl -s -o /dev/null "http://127.0.0.1:${netpoll#* }/buy?sku=soldout&token=$tok"
	curl -s -o /dev/null "http://127.0.0.1:${nethttp#* }/buy?sku=soldout&token=$tok"
	tok=$(token 2)
	local args=(-t1 -c"$CONNS" -d10s --latency -H "Connection: close")
	: >"$OUT/wrk.jsonl"
	for rep in $(seq "$REPS"); do
		log "wrk: alternation $rep of $REPS"
		for row in "floor $floor" "nginx-return-200 $nginx" "netpoll-sold_out $netpoll" "nethttp-sold_out $nethttp"; do
			set -- $row
			load wrk -pid "$2" -label "wrk $1" -append "$OUT/wrk.jsonl" -- "${args[@]}" "http://127.0.0.1:$3/buy?sku=soldout&token=$tok" >/dev/null
		done
	done
	stop_started
	"$BIN/seckill-bench" table -in "$OUT/wrk.jsonl" -base "wrk floor" \
		-metrics server.cpu_us_per_attempt,attempts_per_s,p99_us,non_2xx,socket_errors | tee "$OUT/wrk.md"
}

# hold measures memory per held connection: a fresh server per row, 15,000
# connections each holding a request head without its last CRLF for 20 s,
# then all completed at once.
hold() {
	build
	local reps=${REPS_SLOW:-3} n=${HOLD_CONNS:-15000}
	: >"$OUT/hold.jsonl"
	for rep in $(seq "$reps"); do
		log "hold: alternation $rep of $reps"
		for fe in netpoll nethttp; do
			start_seckill "hold-$fe" "$fe"
			load hold -addr "127.0.0.1:$PORT" -pid "$PID" -admin "127.0.0.1:$((PORT + 1))" -admin-token-file "$ADMIN_TOKEN_FILE" -secret "$SECRET" -skus hold \
				-conns "$n" -procs 2 -hold 20s -label "$fe" -append "$OUT/hold.jsonl" 2>/dev/null
			stop_started
		done
		start_nginx
		load hold -addr "127.0.0.1:$PORT" -pid "$PID" -secret "$SECRET" -skus hold \
			-conns "$n" -procs 2 -hold 20s -label "nginx" -append "$OUT/hold.jsonl" 2>/dev/null
		stop_started
	done
	"$BIN/seckill-bench" table -in "$OUT/hold.jsonl" \
		-metrics hold.held,hold.rss_per_conn,hold.heap_per_conn,hold.slab_per_connection_pair,hold.gcs_while_held,hold.server_cpu_while_held_s,p99_us,max_us | tee "$OUT/hold.md"
}

# listen_overflows prints the kernel's count of connections dropped because
# a listener's accept queue was full.
listen_overflows() { nstat -az TcpExtListenOverflows | awk '/TcpExtListenOverflows/ { print $2 }'; }

# overload drives 10x the admitted rate (admit_per_sec = 250) for 120 s and
# 20x for 90 s, each on a fresh server, and records the server's RSS once a
# second, its GC, and the worst wait. (The generator, on one core, tops out
# near 10,000 Connection: close attempts/s when the machine is quiet, which
# caps the multiple it can offer.) The first 10x run is plotted to
# docs/img/overload-10x.svg. OVERLOAD_X ("10 20") picks the multiples and
# OVERLOAD_DURATION (e.g. 20s) shortens every run, for a quick check.
overload() {
	build
	local reps=${REPS_SLOW:-3}
	: >"$OUT/overload.jsonl"
	mkdir -p "$ROOT/docs/img"
	for rep in $(seq "$reps"); do
		log "overload: alternation $rep of $reps"
		for x in ${OVERLOAD_X:-10 20}; do
			# The server's log keeps its GC trace, and around the run the
			# kernel's accept-queue overflow counters, so that a slow
			# second can be told apart: a GC, the store, or connections
			# waiting in a full accept queue.
			GODEBUG=gctrace=1 start_seckill overload netpoll
			local overflow0
			overflow0=$(listen_overflows)
			load sustained -addr "127.0.0.1:$PORT" -pid "$PID" -admin "127.0.0.1:$((PORT + 1))" -admin-token-file "$ADMIN_TOKEN_FILE" -secret "$SECRET" -skus ovl \
				-users 10000000 -conns 2000 -rate $((250 * x)) -duration "${OVERLOAD_DURATION:-$((150 - 3 * x))s}" \
				-timeout 5s -label "${x}x admitted" -append "$OUT/overload.jsonl" -csv "$OUT/overload-${x}x-$rep.csv" 2>/dev/null
			stop_started
			{
				echo "# ${x}x run $rep: loadavg $(cut -d' ' -f1-3 /proc/loadavg); listen queue overflows during the run: $(($(listen_overflows) - overflow0)) (TcpExtListenOverflows, machine-wide)"
				cat "$WORK/overload.log"
			} >"$OUT/overload-${x}x-$rep.log"
		done
	done
	# The doc's plot comes from a full run into bench/results only.
	if [ "$OUT" = "$ROOT/bench/results" ] && [ -f "$OUT/overload-10x-1.csv" ]; then
		"$BIN/seckill-bench" plot -csv "$OUT/overload-10x-1.csv" -out "$ROOT/docs/img/overload-10x.svg" \
			-title "seckill netpoll at 10x its admitted rate (2,500 attempts/s, admit_per_sec = 250)"
	fi
	"$BIN/seckill-bench" table -in "$OUT/overload.jsonl" \
		-metrics attempts_per_s,results.won,results.busy,errors.client_overrun,p99_us,max_us,sent_p99_us,sent_max_us,won_p99_us,won_max_us,hiccup_max_us,server.run_delay_s,generator_run_delay_s,server.rss_before,server.rss_max,server.next_gc_after,server.gcs | tee "$OUT/overload.md"
}

# burst is a sale: 40,000 users fire at once (2,000 connections in flight,
# two worker processes) at 64 SKUs of 100 units, each
# retrying busy until a final answer; every invariant is checked from the
# answers and every win looked up again. The netpoll run's time series is
# plotted to docs/img/burst.svg.
burst() {
	build
	local reps=${REPS_SLOW:-3}
	: >"$OUT/burst.jsonl"
	mkdir -p "$ROOT/docs/img"
	for rep in $(seq "$reps"); do
		log "burst: alternation $rep of $reps"
		for fe in netpoll nethttp; do
			start_seckill "burst-$fe" "$fe"
			load burst -addr "127.0.0.1:$PORT" -pid "$PID" -admin "127.0.0.1:$((PORT + 1))" -admin-token-file "$ADMIN_TOKEN_FILE" -secret "$SECRET" -skus 'p{0..63}' \
				-users 40000 -conns 2000 -procs 2 -quota 100 -label "burst $fe" -append "$OUT/burst.jsonl" \
				-csv "$OUT/burst-$fe-$rep.csv" 2>/dev/null
			stop_started
		done
	done
	"$BIN/seckill-bench" plot -csv "$OUT/burst-netpoll-1.csv" -out "$ROOT/docs/img/burst.svg" \
		-title "seckill netpoll: 40,000 users burst on 64 SKUs x 100 units (server on 1 core)"
	"$BIN/seckill-bench" table -in "$OUT/burst.jsonl" \
		-metrics attempts_per_s,seconds,results.won,results.sold_out,results.busy,p50_us,p99_us,max_us,server.cpu_us_per_attempt,server.rss_max,checks_pass,hiccup_max_us,server.run_delay_s | tee "$OUT/burst.md"
}

# strace_rows counts the system calls each server makes per Connection:
# close request: strace -c -f attached to the server's threads (nginx: its
# worker) while STRACE_COUNT requests (5,000) arrive from 16 connections in
# flight, after a warm-up that sells the soldout SKU. The raw strace -c
# output of each server is bench/results/strace-<row>.txt; the per-request
# table is strace.md.
strace_rows() {
	build
	command -v strace >/dev/null || { echo "strace is missing: apt-get install -y strace" >&2; exit 1; }
	local n=${STRACE_COUNT:-5000}
	local rows=()
	start_seckill strace-floor floor
	rows+=("floor $PID $PORT")
	start_seckill strace-netpoll netpoll
	rows+=("netpoll $PID $PORT")
	start_seckill strace-nethttp nethttp
	rows+=("nethttp $PID $PORT")
	start_nginx
	rows+=("nginx ${PID#*,} $PORT")
	: >"$OUT/strace.md"
	for row in "${rows[@]}"; do
		set -- $row
		local name=$1 pid=$2 port=$3
		load fixed -addr "127.0.0.1:$port" -secret "$SECRET" -skus soldout -conns 16 -count 500 -warmup 0 -label warm >/dev/null 2>&1
		log "strace: $name (pid $pid), $n requests"
		strace -c -f -o "$WORK/strace-$name.raw" -p "$pid" &
		local tracer=$!
		STARTED+=("$tracer")
		sleep 1 # attach to every thread before the load starts
		load fixed -addr "127.0.0.1:$port" -secret "$SECRET" -skus soldout -conns 16 -count "$n" -warmup 0 -label "strace $name" >/dev/null 2>&1
		kill -INT "$tracer"
		wait "$tracer" || true
		{
			echo "# strace -c -f -p <$name server> over $n Connection: close requests (16 in flight), $(date -u +%FT%TZ), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
			cat "$WORK/strace-$name.raw"
		} >"$OUT/strace-$name.txt"
		{
			echo "## $name: calls per request ($n requests)"
			awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 { name = $NF; calls = $4; printf "%-16s %8.2f\n", name, calls / n }' "$WORK/strace-$name.raw" | sort -k2 -nr
			echo
		} | tee -a "$OUT/strace.md"
	done
	stop_started
}

# metrics_ab alternates the netpoll sold_out row of §1 between a build of
# BASE_REV (A: before the metrics) and this tree (B: per-route attempt
# counters, the per-second watcher, and /metrics scraped every second as
# Prometheus would), CPU_REPS times, for docs/OBSERVABILITY.md.
metrics_ab() {
	build
	local base=${BASE_REV:?set BASE_REV to the commit before the metrics}
	git -C "$ROOT" worktree add -q --detach "$WORK/base" "$base"
	(cd "$WORK/base" && go build -o "$BIN/seckill-base" ./cmd/seckill)
	git -C "$ROOT" worktree remove --force "$WORK/base"
	SECKILL=$BIN/seckill-base start_seckill metrics-off netpoll
	local off=$PID offp=$PORT
	start_seckill metrics-on netpoll
	local on=$PID onp=$PORT
	# The scraper: one GET /metrics a second on B, on the load's core.
	local tok
	tok=$(cat "$ADMIN_TOKEN_FILE")
	(while sleep 1; do curl -s -o /dev/null -H "Authorization: Bearer $tok" "http://127.0.0.1:$((onp + 1))/metrics"; done) &
	STARTED+=("$!")
	local common=(-secret "$SECRET" -conns "$CONNS" -count "$COUNT" -append "$OUT/metrics.jsonl" -skus soldout -admin-token-file "$ADMIN_TOKEN_FILE")
	: >"$OUT/metrics.jsonl"
	for rep in $(seq "$CPU_REPS"); do
		log "metrics: alternation $rep of $CPU_REPS"
		load fixed -addr "127.0.0.1:$offp" -pid "$off" -admin "127.0.0.1:$((offp + 1))" -label "metrics off" "${common[@]}"
		load fixed -addr "127.0.0.1:$onp" -pid "$on" -admin "127.0.0.1:$((onp + 1))" -label "metrics on" "${common[@]}"
	done
	stop_started
	"$BIN/seckill-bench" table -in "$OUT/metrics.jsonl" -base "metrics off" \
		-metrics server.cpu_us_per_attempt,server.cpu_user_s,server.cpu_sys_s,attempts_per_s,server.run_delay_s | tee "$OUT/metrics.md"
}

# bench/peers/run.sh sources this file for its helpers and stops here.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	return 0
fi

case "${1:-}" in
machine) machine ;;
metrics) metrics_ab ;;
gobench) gobench ;;
durable) durable ;;
uids) uids ;;
cpu) cpu ;;
cpu-table) build && cpu_table ;;
wrk) wrk_rows ;;
strace) strace_rows ;;
hold) hold ;;
overload) overload ;;
burst) burst ;;
waitlist) waitlist_rows ;;
all)
	machine
	gobench
	durable
	uids
	cpu
	wrk_rows
	hold
	overload
	burst
	strace_rows
	;;
*)
	sed -n '2,20p' "$0" >&2
	exit 2
	;;
esac
