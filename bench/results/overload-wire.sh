#!/usr/bin/env bash
# bench/results/overload-wire.sh: where a 20x overload attempt's wait is
# spent, seen on the loopback wire. Two runs of bench/run.sh's 20x overload
# (DUR, default 20 s, on a fresh server each), each captured with tcpdump
# (pinned to the generator's core, so the server's core is not disturbed):
#   gc-on   the generator with Go's default collector (GOGC=100), as every
#           overload run before 2026-12-02 06:00 UTC had it;
#   quiet   the generator as it is now (bench.QuietGC: no collection during
#           the run, connection goroutines' stacks grown before the start).
# wire-wait.py splits each connection into handshake (kernel), client
# (SYN-ACK to request: the generator) and server (request to response: the
# server's whole part, accept queue included). Needs tcpdump
# (apt-get install -y tcpdump). Output: bench/results/issue13-overload-wire/.
#
# RUNS picks the runs (default "gc-on quiet"); a run is named MODE or MODE-N
# (e.g. RUNS="quiet-1 quiet-2 quiet-3" DUR=90s: three full-length 20x runs).
# Each run also keeps the server's log with its GC trace (RUN-server.log)
# and, on each core, a 1 ms SCHED_FIFO sleeper's late wakes (hiccup.py:
# RUN-hiccup-core0.txt, -core1.txt), so that a slow tenth can be set
# against the server's collections and the cores' own stalls. Only SYNs
# and packets with data are captured (4 per connection), to keep a 90 s
# run's capture small.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dest=$ROOT/bench/results/issue13-overload-wire
mkdir -p "$dest"
source "$ROOT/bench/run.sh"
build
dur=${DUR:-20s}
for run in ${RUNS:-gc-on quiet}; do
	mode=${run%%-[0-9]*}
	log "overload-wire: $run"
	GODEBUG=gctrace=1 start_seckill overload netpoll
	cap=$WORK/$run.pcap
	taskset -c "$LOAD_CPU" tcpdump -i lo -n -s 80 -B 65536 -w "$cap" \
		"tcp port $PORT and (tcp[tcpflags] & tcp-syn != 0 or (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0)" \
		2>"$WORK/tcpdump-$run.err" &
	dump=$!
	for cpu in "$SERVER_CPU" "$LOAD_CPU"; do
		python3 "$ROOT/bench/results/hiccup.py" "$cpu" "$((${dur%s} + 4))" "$dest/$run-hiccup-core$cpu.txt" &
	done
	sleep 1 # tcpdump is listening
	t0=$(date +%s.%N)
	genenv=()
	[ "$mode" = gc-on ] && genenv=(GOGC=100)
	env "${genenv[@]}" taskset -c "$LOAD_CPU" "$BIN/seckill-bench" sustained -addr "127.0.0.1:$PORT" -pid "$PID" -secret "$SECRET" -skus ovl -users 10000000 -conns 2000 -rate 5000 \
		-duration "$dur" -timeout 5s -start-in 1s -label "20x $run" -append "$dest/overload.jsonl" -csv "$dest/$run.csv" \
		2>/dev/null >"$WORK/load-$run.txt"
	sleep 1
	kill "$dump"
	wait "$dump" || true
	stop_started
	wait # the hiccup sleepers
	cp "$WORK/overload.log" "$dest/$run-server.log"
	{
		echo "# $(date -u +%FT%TZ) commit $(git -C "$ROOT" rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg); generator: $mode; load start (T0) $(echo "$t0 + 1" | bc) unix s"
		echo "# the generator's report:"
		grep -E '^(mode|latency|from the written|generator hiccups|results)' "$WORK/load-$run.txt" | sed 's/^/#   /'
		tail -2 "$WORK/tcpdump-$run.err" | sed 's/^/# tcpdump: /'
		echo "# python3 bench/results/wire-wait.py $run.pcap $PORT <load start + 1 s> 20"
		python3 "$ROOT/bench/results/wire-wait.py" "$cap" "$PORT" "$(echo "$t0 + 1" | bc)" 20
	} | tee "$dest/$run.txt"
	rm -f "$cap"
done
