#!/usr/bin/env bash
# bench/results/handoff.sh reproduces docs/EXPORT.md's Go-benchmark figures
# (export records/s per format, where the export's time goes, the push's
# drain rate, the buy path under push) and the push crash test's log, with
# the load before each step, into bench/results/:
#
#   export-gobench.txt   go test -bench Export, EXPORT_COUNT (3) runs
#   export-profile.txt   pprof -top of the jsonl.zst export's CPU profile
#   push-gobench.txt     go test -bench 'Drain' at 1 and 2 CPUs, and
#                        BuyPathUnderPush, PUSH_COUNT (2) rounds each
#   push-kill.txt        go test -race ./cmd/seckill -run PushAcrossKill
#                        -count KILL_COUNT (6) -v: each run's counts
#
#   bash bench/results/handoff.sh [export] [push] [kill]   (all three by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/results}
EXPORT_COUNT=${EXPORT_COUNT:-3}
PUSH_COUNT=${PUSH_COUNT:-2}
KILL_COUNT=${KILL_COUNT:-6}
work=$(mktemp -d /tmp/seckill-handoff.XXXXXX)
trap 'rm -rf "$work"' EXIT

steps=" ${*:-export push kill} "

stamp() { echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg): $*"; }

export_rows() {
	{
		stamp "go test ./internal/handoff/export -run '^\$' -bench Export -benchtime 3x -count $EXPORT_COUNT"
		go test ./internal/handoff/export -run '^$' -bench Export -benchtime 3x -count "$EXPORT_COUNT"
	} 2>&1 | tee "$OUT/export-gobench.txt"
	{
		stamp "go test ./internal/handoff/export -run '^\$' -bench 'Export/jsonl.zst' -benchtime 4x -cpuprofile; go tool pprof -top"
		go test ./internal/handoff/export -run '^$' -bench 'Export/jsonl.zst' -benchtime 4x -o "$work/export.test" -cpuprofile "$work/cpu.out" >/dev/null
		go tool pprof -top "$work/export.test" "$work/cpu.out" 2>&1 | head -60
	} 2>&1 | tee "$OUT/export-profile.txt"
}

push_rows() {
	{
		stamp "go test ./internal/handoff/push -run '^\$' -bench Drain -benchtime 5x -cpu 1,2 -count $PUSH_COUNT"
		go test ./internal/handoff/push -run '^$' -bench Drain -benchtime 5x -cpu 1,2 -count "$PUSH_COUNT"
		stamp "go test ./internal/handoff/push -run '^\$' -bench BuyPathUnderPush -benchtime 2s -count $PUSH_COUNT"
		go test ./internal/handoff/push -run '^$' -bench BuyPathUnderPush -benchtime 2s -count "$PUSH_COUNT"
	} 2>&1 | tee "$OUT/push-gobench.txt"
}

kill_rows() {
	{
		stamp "go test -race ./cmd/seckill -run PushAcrossKill -count $KILL_COUNT -v"
		go test -race -timeout 30m ./cmd/seckill -run 'PushAcrossKill$' -count "$KILL_COUNT" -v | grep -E 'winners;|^(--- |ok|FAIL|PASS)'
	} 2>&1 | tee "$OUT/push-kill.txt"
}

case $steps in *" export "*) export_rows ;; esac
case $steps in *" push "*) push_rows ;; esac
case $steps in *" kill "*) kill_rows ;; esac
