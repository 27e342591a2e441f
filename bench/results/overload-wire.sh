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
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dest=$ROOT/bench/results/issue13-overload-wire
mkdir -p "$dest"
source "$ROOT/bench/run.sh"
build
for mode in gc-on quiet; do
	log "overload-wire: $mode"
	start_seckill overload netpoll
	cap=$WORK/$mode.pcap
	taskset -c "$LOAD_CPU" tcpdump -i lo -n -s 80 -B 65536 -w "$cap" "tcp port $PORT" 2>"$WORK/tcpdump-$mode.err" &
	dump=$!
	sleep 1 # tcpdump is listening
	t0=$(date +%s.%N)
	genenv=()
	[ "$mode" = gc-on ] && genenv=(GOGC=100)
	env "${genenv[@]}" taskset -c "$LOAD_CPU" "$BIN/seckill-bench" sustained -addr "127.0.0.1:$PORT" -pid "$PID" -secret "$SECRET" -skus ovl -users 10000000 -conns 2000 -rate 5000 \
		-duration "${DUR:-20s}" -timeout 5s -start-in 1s -label "20x $mode" -append "$dest/overload.jsonl" -csv "$dest/$mode.csv" \
		2>/dev/null >"$WORK/load-$mode.txt"
	sleep 1
	kill "$dump"
	wait "$dump" || true
	stop_started
	{
		echo "# $(date -u +%FT%TZ) commit $(git -C "$ROOT" rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg); generator: $mode"
		echo "# the generator's report:"
		grep -E '^(mode|latency|from the written|generator hiccups|results)' "$WORK/load-$mode.txt" | sed 's/^/#   /'
		tail -2 "$WORK/tcpdump-$mode.err" | sed 's/^/# tcpdump: /'
		echo "# python3 bench/results/wire-wait.py $mode.pcap $PORT <load start + 1 s> 20"
		python3 "$ROOT/bench/results/wire-wait.py" "$cap" "$PORT" "$(echo "$t0 + 1" | bc)" 20
	} | tee "$dest/$mode.txt"
	rm -f "$cap"
done
