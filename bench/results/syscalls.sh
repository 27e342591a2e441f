#!/usr/bin/env bash
# bench/results/syscalls.sh reproduces docs/BENCHMARKS.md §1's system-call
# table and its CPU and allocation profiles, into bench/results/:
#
#   strace-<server>.txt    `strace -c -f` of the server over STRACE_COUNT
#                          (5,000) Connection: close requests, 16 in flight
#                          (nginx, the netpoll floor, netpoll /buy sold_out,
#                          net/http /buy sold_out), with the load before it
#   strace.md              the calls per request of each, from those files
#   profile-netpoll-cpu.txt    `go tool pprof -top` of a 5 s CPU profile of
#                          netpoll under sold-out /buy load (admin port)
#   profile-netpoll-allocs.txt the allocations of COUNT (40,000) sold-out
#                          /buy requests: the allocs profile after minus before
#
#   bash bench/results/syscalls.sh
#
# It uses bench/run.sh's helpers (build, start_seckill, start_nginx, load),
# so the servers run exactly as in the §1 rows. Needs strace and nginx.
set -euo pipefail
# shellcheck source=../run.sh
source "$(dirname "$0")/../run.sh"
STRACE_COUNT=${STRACE_COUNT:-5000}

# strace_row NAME PID PORT [LOAD FLAGS...] counts the system calls of every
# thread of PID while STRACE_COUNT requests run.
strace_row() {
	local name=$1 pid=$2 port=$3
	shift 3
	local out=$OUT/strace-$name.txt
	# Attach to every process of a multi-process server (nginx: master,worker).
	local attach=()
	for p in ${pid//,/ }; do attach+=(-p "$p"); done
	strace -c -f "${attach[@]}" -o "$out" &
	local tracer=$!
	sleep 1 # strace attaches to every thread before the load starts
	load fixed -addr "127.0.0.1:$port" -secret "$SECRET" -skus soldout -conns 16 -count "$STRACE_COUNT" -warmup 0 -label "strace $name" "$@" >/dev/null 2>&1
	kill -INT "$tracer"
	wait "$tracer" || true
	{
		echo "# $name: strace -c -f over $STRACE_COUNT requests, 16 in flight; $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
	} >>"$out"
}

# strace_table prints calls per request of each row from the strace files.
strace_table() {
	local rows=(nginx floor netpoll-buy nethttp-buy) files=()
	for r in "${rows[@]}"; do files+=("$OUT/strace-$r.txt"); done
	{
		printf '| calls per request |'
		for r in "${rows[@]}"; do printf ' %s |' "$r"; done
		printf '\n|---|'
		for _ in "${rows[@]}"; do printf -- '---|'; done
		printf '\n'
		awk -v n="$STRACE_COUNT" -v rows="${rows[*]}" '
			FNR == 1 { file++ }
			$1 ~ /^[0-9.]+$/ && NF >= 5 {
				name = $NF; calls = $4
				if (name == "total") next
				seen[name] = 1; c[name, file] = calls
			}
			END {
				split(rows, r, " ")
				for (s in seen) {
					line = "| " s " |"
					for (i = 1; i <= file; i++) line = line sprintf(" %.2f |", c[s, i] / n)
					print line
				}
			}' "${files[@]}" | sort
	} | tee "$OUT/strace.md"
}

syscalls() {
	build
	command -v strace >/dev/null || { echo "strace is missing: apt-get install strace" >&2; exit 1; }
	start_nginx
	strace_row nginx "$PID" "$PORT"
	stop_started
	start_seckill floor floor
	strace_row floor "$PID" "$PORT"
	stop_started
	for fe in netpoll nethttp; do
		start_seckill "strace-$fe" "$fe"
		# Sell the one unit first, so every traced /buy is the stampede's sold_out.
		curl -s -o /dev/null "http://127.0.0.1:$PORT/buy?sku=soldout&token=$(token 1)"
		strace_row "$fe-buy" "$PID" "$PORT"
		stop_started
	done
	strace_table

	log "profiles: netpoll sold-out /buy"
	start_seckill profile netpoll
	local admin="http://127.0.0.1:$((PORT + 1))" auth
	auth="Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")"
	curl -s -o /dev/null "http://127.0.0.1:$PORT/buy?sku=soldout&token=$(token 1)"
	load fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count 2000 -warmup 0 >/dev/null 2>&1
	curl -sf -H "$auth" -o "$WORK/allocs-before.pb.gz" "$admin/debug/pprof/allocs"
	load fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count "$COUNT" -warmup 0 >/dev/null 2>&1
	curl -sf -H "$auth" -o "$WORK/allocs-after.pb.gz" "$admin/debug/pprof/allocs"
	{
		echo "# allocations of $COUNT sold-out /buy requests (netpoll; allocs after minus before); load $(cut -d' ' -f1-3 /proc/loadavg)"
		go tool pprof -top -sample_index=alloc_objects -base "$WORK/allocs-before.pb.gz" "$BIN/seckill" "$WORK/allocs-after.pb.gz" 2>&1
		go tool pprof -top -sample_index=alloc_space -base "$WORK/allocs-before.pb.gz" "$BIN/seckill" "$WORK/allocs-after.pb.gz" 2>&1
	} >"$OUT/profile-netpoll-allocs.txt"
	load fixed -addr "127.0.0.1:$PORT" -secret "$SECRET" -skus soldout -conns "$CONNS" -count "$COUNT" -warmup 0 >/dev/null 2>&1 &
	local loader=$!
	sleep 1
	curl -sf -H "$auth" -o "$WORK/cpu.pb.gz" "$admin/debug/pprof/profile?seconds=5"
	wait "$loader" || true
	{
		echo "# CPU profile, 5 s of netpoll under sold-out /buy load ($CONNS connections); load $(cut -d' ' -f1-3 /proc/loadavg)"
		go tool pprof -top "$BIN/seckill" "$WORK/cpu.pb.gz" 2>&1 | head -60
	} >"$OUT/profile-netpoll-cpu.txt"
	stop_started
	head -12 "$OUT/profile-netpoll-cpu.txt" "$OUT/profile-netpoll-allocs.txt"
}

syscalls
