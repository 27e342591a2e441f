#!/usr/bin/env bash
# bench/results/durable-profile.sh profiles docs/BENCHMARKS.md §6's missed
# shape (1,024 SKUs, one win outstanding each): the CPU profile of
# BenchmarkDurableWins/skus=1024, as `go tool pprof -top`, with the load,
# into bench/results/durable-profile-1024.txt.
#
#   bash bench/results/durable-profile.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/results}
work=$(mktemp -d /tmp/seckill-durable-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
{
	echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# go test ./internal/live/shardloop -run '^\$' -bench 'DurableWins/skus=1024' -benchtime 2s -count 1 -cpuprofile; go tool pprof -top"
	go test ./internal/live/shardloop -run '^$' -bench 'DurableWins/skus=1024' -benchtime 2s -count 1 \
		-o "$work/shardloop.test" -cpuprofile "$work/cpu.out" | grep -E '^(Benchmark|ok)'
	go tool pprof -top "$work/shardloop.test" "$work/cpu.out" 2>&1 | head -50
} | tee "$OUT/durable-profile-1024.txt"
