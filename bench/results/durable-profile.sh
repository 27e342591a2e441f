#!/usr/bin/env bash
# bench/results/durable-profile.sh profiles the CPU of a durable win
# (docs/BENCHMARKS.md §6 and §9): BenchmarkDurableWins with the server's
# round commit at 1,024 SKUs x 1,024 outstanding and 256 SKUs x 1,024, one
# CPU profile each, printed by `go tool pprof -top` twice: the steady state
# (the shards' set-up — engine.NewShard, shardloop.New, wal.Open — left out,
# as the benchmark's timer leaves it out) and everything. With the load and
# the benchmark's own cpu-us/win, into bench/results/durable-profile-1024.txt
# and durable-profile-256.txt; then BenchmarkRoundApply into round-apply.txt.
#
#   bash bench/results/durable-profile.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/results}
work=$(mktemp -d /tmp/seckill-durable-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/shardloop.test" ./internal/live/shardloop
for skus in 1024 256; do
	bench="DurableWins/commit=round/skus=$skus/outstanding=1024\$"
	{
		echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "# go test -c ./internal/live/shardloop; shardloop.test -test.run '^\$' -test.bench '$bench' -test.benchtime 2s -test.count 1 -test.cpuprofile cpu.out"
		(cd "$work" && ./shardloop.test -test.run '^$' -test.bench "$bench" -test.benchtime 2s -test.count 1 -test.cpuprofile "$work/cpu-$skus.out") | grep -E '^(Benchmark|PASS|ok)'
		echo "# steady state: go tool pprof -top -ignore 'NewShard|shardloop.New|wal.Open'"
		go tool pprof -top -ignore 'NewShard|shardloop.New|wal.Open' "$work/shardloop.test" "$work/cpu-$skus.out" 2>&1 | head -45
		echo "# everything, the set-up of the shards included: go tool pprof -top"
		go tool pprof -top "$work/shardloop.test" "$work/cpu-$skus.out" 2>&1 | head -25
	} | tee "$OUT/durable-profile-$skus.txt"
done
# The committer's serial stage alone, its keys in order (the round commit's
# encoding) against the shards' arrival order, alternated by -count.
{
	echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# go test ./wal -run '^\$' -bench RoundApply -benchtime 200x -count 5"
	go test ./wal -run '^$' -bench RoundApply -benchtime 200x -count 5 | grep -E '^(Benchmark|ok)'
} | tee "$OUT/round-apply.txt"
