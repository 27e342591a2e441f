#!/usr/bin/env bash
# The cost of a waitlisted answer against a sold_out one (issue 11): the
# shard's Step for each, deciding a new waitlist place (its control record's
# hash included, its fsync not: that is the group commit of
# docs/BENCHMARKS.md), and the event loop's answer from the frozen view once
# sold out; then the same comparison over sockets (bench/run.sh waitlist).
# The machine's load is printed before each run. Output: stdout (committed
# as bench/results/waitlist.txt).
#   bash bench/results/waitlist.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "commit $(git rev-parse --short HEAD), $(nproc) CPUs, $(date -u +%FT%TZ)"
for run in 1 2 3; do
	uptime
	go test -run '^$' -bench 'BenchmarkStep(SoldOutRetry|WaitlistedRetry|WaitlistJoin)$|BenchmarkFrozenBuy' -benchtime 200000x -count 1 ./engine | grep -E '^Benchmark'
done
# Over sockets (a real `seckill serve`, netpoll front end, pinned as
# bench/run.sh pins its servers): CPU per answer for a stream of sold_out
# attempts and for streams of waitlisted users' retries, alternated in one
# run. Rows: bench/results/waitlist.jsonl; table: waitlist-sockets.md.
uptime
bash bench/run.sh waitlist
uptime
