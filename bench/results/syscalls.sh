#!/usr/bin/env bash
# bench/results/syscalls.sh reproduces docs/BENCHMARKS.md §1's system-call
# table and its CPU and allocation profiles, into bench/results/:
#
#   strace-<server>.txt, strace.md   bench/run.sh strace (its own comment
#                          says how; §1's table and §9 read them)
#   profile-netpoll-cpu.txt    `go tool pprof -top` of a 5 s CPU profile of
#                          netpoll under sold-out /buy load (admin port)
#   profile-netpoll-allocs.txt the allocations of COUNT (40,000) sold-out
#                          /buy requests: the allocs profile after minus before
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
	start_seckill profile netpoll
	local admin="http://127.0.0.1:$((PORT + 1))" auth
	auth="Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")"
	curl -s -o /dev/null "http://127.0.0.1:$PORT/buy?sku=soldout&token=$(token 1)"
	load fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count 2000 -warmup 0 >/dev/null 2>&1
	curl -sf -H "$auth" -o "$WORK/allocs-before.pb.gz" "$admin/debug/pprof/allocs?gc=1"
	load fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count "$COUNT" -warmup 0 >/dev/null 2>&1
	curl -sf -H "$auth" -o "$WORK/allocs-after.pb.gz" "$admin/debug/pprof/allocs?gc=1"
	{
		echo "# allocations of $COUNT sold-out /buy requests (netpoll; allocs after minus before); load $(cut -d' ' -f1-3 /proc/loadavg)"
		go tool pprof -top -sample_index=alloc_objects -base "$WORK/allocs-before.pb.gz" "$BIN/seckill" "$WORK/allocs-after.pb.gz" 2>&1
		go tool pprof -top -sample_index=alloc_space -base "$WORK/allocs-before.pb.gz" "$BIN/seckill" "$WORK/allocs-after.pb.gz" 2>&1
	} >"$OUT/profile-netpoll-allocs.txt"
	# A load that outlasts the 5 s profile; stopped (SIGTERM) once it is taken.
	load fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count 100000000 -warmup 0 >/dev/null 2>&1 &
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
	head -12 "$OUT/profile-netpoll-cpu.txt" "$OUT/profile-netpoll-allocs.txt"
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
