#!/usr/bin/env bash
# bench/results/syscalls.sh reproduces docs/BENCHMARKS.md §1's system-call
# table and its CPU and allocation profiles, into bench/results/:
#
#   strace-<server>.txt, strace.md   bench/run.sh strace (its own comment
#                          says how; §1's table and §9 read them)
#   profile-netpoll-cpu.txt    `go tool pprof -top` of a 5 s CPU profile of
#                          netpoll under sold-out /buy load (admin port)
#   profile-netpoll-allocs.txt the allocations of COUNT (40,000) sold-out
#                          /buy requests: every allocation recorded
#                          (memprofilerate=1), heap profile after minus
#                          before, and /admin/memstats's Mallocs per request
#
#   bash bench/results/syscalls.sh [strace|profiles]   (both by default)
#
# It uses bench/run.sh's helpers (build, start_seckill, load), so the
# server runs exactly as in the §1 rows.
set -euo pipefail
# shellcheck source=../run.sh
source "$(dirname "$0")/../run.sh"

profiles() {
	build
	log "profiles: netpoll sold-out /buy"
	# The allocation profile, on a server of its own that records every
	# allocation (GODEBUG=memprofilerate=1; the default samples one per
	# 512 KiB, a handful over the whole run). It is read from the heap
	# endpoint with ?gc=1: a profile counts allocations up to the last
	# finished GC, and only the heap endpoint collects first (allocs?gc=1
	# does not), so both snapshots are complete and their difference is
	# exactly the measured requests'. /admin/memstats's Mallocs, read the
	# same way, gives the process's allocations per request beside it.
	GODEBUG=memprofilerate=1 start_seckill profile-allocs netpoll
	local auth
	auth="Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")"
	local admin="http://127.0.0.1:$((PORT + 1))"
	curl -s -o /dev/null "http://127.0.0.1:$PORT/buy?sku=soldout&token=$(token 1)"
	load fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count 2000 -warmup 0 >/dev/null 2>&1
	# The memstats reads sit inside the two profile reads, so that their
	# Mallocs do not count the profiler writing the first profile; the
	# profile difference does count that (and the admin server's answers),
	# and pprof's -ignore drops them below.
	curl -sf -H "$auth" -o "$WORK/allocs-before.pb.gz" "$admin/debug/pprof/heap?gc=1"
	curl -sf -H "$auth" -o "$WORK/memstats-before.json" "$admin/admin/memstats?gc=1"
	load fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count "$COUNT" -warmup 0 >"$WORK/allocs-load.txt" 2>&1
	curl -sf -H "$auth" -o "$WORK/memstats-after.json" "$admin/admin/memstats?gc=1"
	curl -sf -H "$auth" -o "$WORK/allocs-after.pb.gz" "$admin/debug/pprof/heap?gc=1"
	stop_started
	local mallocs ignore='runtime/pprof|net/http'
	mallocs=$(python3 -c 'import json,sys; b,a=(json.load(open(f)) for f in sys.argv[1:3]); print("%d Go allocations (%d bytes) for %s requests: %.2f allocations, %.0f bytes per request (the whole process, /admin/memstats Mallocs and TotalAlloc after minus before)" % (a["mallocs"]-b["mallocs"], a["total_alloc"]-b["total_alloc"], sys.argv[3], (a["mallocs"]-b["mallocs"])/int(sys.argv[3]), (a["total_alloc"]-b["total_alloc"])/int(sys.argv[3])))' "$WORK/memstats-before.json" "$WORK/memstats-after.json" "$COUNT")
	{
		echo "# allocations of $COUNT sold-out /buy requests (netpoll, $CONNS connections, Connection: close; GODEBUG=memprofilerate=1; heap?gc=1 after minus before); load $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "# $mallocs"
		echo "# load generator: $(tail -1 "$WORK/allocs-load.txt")"
		echo "# pprof -ignore '$ignore' (the profiler's and the admin server's own allocations)"
		go tool pprof -top -sample_index=alloc_objects -ignore "$ignore" -base "$WORK/allocs-before.pb.gz" "$BIN/seckill" "$WORK/allocs-after.pb.gz" 2>&1 | head -40
		go tool pprof -top -sample_index=alloc_space -ignore "$ignore" -base "$WORK/allocs-before.pb.gz" "$BIN/seckill" "$WORK/allocs-after.pb.gz" 2>&1 | head -40
	} >"$OUT/profile-netpoll-allocs.txt"
	# The CPU profile, on a fresh server with the default sampling: a load
	# that outlasts the 5 s profile, stopped (SIGTERM) once it is taken.
	start_seckill profile netpoll
	admin="http://127.0.0.1:$((PORT + 1))"
	curl -s -o /dev/null "http://127.0.0.1:$PORT/buy?sku=soldout&token=$(token 1)"
	# Started directly, not through the load function: $! is then the
	# generator itself (taskset execs it), so the kill below reaches it; a
	# function in the background is a subshell, and killing that would
	# leave the generator running.
	taskset -c "$LOAD_CPU" "$BIN/seckill-bench" fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count 100000000 -warmup 0 >/dev/null 2>&1 &
	local loader=$!
	sleep 1
	curl -sf -H "$auth" -o "$WORK/cpu.pb.gz" "$admin/debug/pprof/profile?seconds=5"
	kill "$loader"
	wait "$loader" || true
	{
		echo "# CPU profile, 5 s of netpoll under sold-out /buy load ($CONNS connections); load $(cut -d' ' -f1-3 /proc/loadavg)"
		go tool pprof -top "$BIN/seckill" "$WORK/cpu.pb.gz" 2>&1 | head -60
	} >"$OUT/profile-netpoll-cpu.txt"
	stop_started
	head -14 "$OUT/profile-netpoll-cpu.txt" "$OUT/profile-netpoll-allocs.txt"
}

case "${1:-all}" in
strace) bash "$ROOT/bench/run.sh" strace ;;
profiles) profiles ;;
all)
	bash "$ROOT/bench/run.sh" strace
	profiles
	;;
*)
	echo "usage: bash bench/results/syscalls.sh [strace|profiles]" >&2
	exit 2
	;;
esac
