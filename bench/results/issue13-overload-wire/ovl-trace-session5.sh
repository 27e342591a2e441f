#!/usr/bin/env bash
# The lead's investigation script of 2026-12-02 (kept as it was run): one
# 20x overload run (DUR, default 20s) with an execution trace of the server
# over the first TRACE_S seconds of load (0: none), a tcpdump capture of the
# server's port when PCAP is set, and the generator's GC trace. Output in $O.
# bench/results/overload-wire.sh is the maintained form of the capture.
set -euo pipefail
O=${O:-/tmp/s5/ovl}
mkdir -p "$O"
export WORK=${WORK:-/tmp/s5/work}
mkdir -p "$WORK"
source "$(dirname "$0")/../../run.sh"
build
x=20
date +%s.%N >"$O/t-start"
GODEBUG=gctrace=1 start_seckill overload netpoll
if [ "${TRACE_S:-12}" != 0 ]; then curl -s -H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" "http://127.0.0.1:$((PORT + 1))/debug/pprof/trace?seconds=${TRACE_S:-12}" -o "$O/trace.out" &
	tp=$!
else tp=; fi
if [ -n "${PCAP:-}" ]; then taskset -c "${PCAP_CPU:-1}" tcpdump -i lo -n -s 80 -B 65536 -w "$O/cap.pcap" "tcp port $PORT" 2>"$O/tcpdump.err" & dp=$!; fi
sleep ${LOAD_DELAY:-0.2}
date +%s.%N >"$O/t-load"
GODEBUG=gctrace=1 load sustained -addr "127.0.0.1:$PORT" -pid "$PID" -admin "127.0.0.1:$((PORT + 1))" -admin-token-file "$ADMIN_TOKEN_FILE" -secret "$SECRET" -skus ovl \
	-users 10000000 -conns 2000 -rate $((250 * x)) -duration "${DUR:-20s}" \
	-timeout 5s -label "${x}x admitted" -append "$O/overload.jsonl" -csv "$O/overload.csv" 2>"$O/gen.err" || true
[ -z "$tp" ] || wait $tp || true
[ -z "${dp:-}" ] || { sleep 1; kill $dp; wait $dp || true; }
stop_started
cp "$WORK/overload.log" "$O/server.log"
sort -t, -k7 -g -r "$O/overload.csv" | head -5
