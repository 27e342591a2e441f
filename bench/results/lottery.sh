#!/usr/bin/env bash
# Reproduces the fair-opening figures of docs/BENCHMARKS.md ("Fair opening"):
# the draw's time for 100 k and 1 M entrants, the engine's memory per
# entrant, and the entrants' answer latency after the window closes (10,000
# entrants over real sockets to a child engine), with the load next to each.
# Output: stdout (committed as bench/results/lottery.txt).
#   bash bench/results/lottery.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "commit $(git rev-parse --short HEAD), $(nproc) CPUs, $(date -u +%FT%TZ)"
echo "== draw time (engine.DrawOrder, 32-byte beacon)"
uptime
go test ./engine -run '^$' -bench 'BenchmarkDraw$' -benchtime 5x -count 3 | grep -E '^Benchmark'
echo "== memory per entrant (engine shard, window open, 1,000,000 entrants)"
uptime
go test ./engine -run '^$' -bench BenchmarkLotteryEntrantMemory -benchtime 1x -count 3 | grep -E '^Benchmark'
echo "== entrant answer latency after the close (10,000 entrants, child engine, loopback)"
for run in 1 2 3; do
	uptime
	go test ./cmd/seckill -run TestLotteryTenThousandEntrants -count 1 -v | grep -E 'FIGURE|^(ok|FAIL|---)'
done
uptime
