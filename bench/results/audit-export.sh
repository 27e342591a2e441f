#!/usr/bin/env bash
# Reproduces the throughput figures of docs/AUDIT.md (replay of 1M records)
# and docs/EXPORT.md (export of 1M records), and the example digest of
# docs/AUDIT.md, with the machine's load next to each run: a fresh store of
# 1,000,000 wins over 100 SKUs (seckill-loggen), three replays, then the
# export command table. Output: bench/results/audit-export.txt.
#   bash bench/results/audit-export.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/results}
work=$(mktemp -d /tmp/seckill-audit-export.XXXXXX)
trap 'rm -rf "$work"' EXIT
t="/usr/bin/time -f %C:_wall_%e_s,_user_%U_s,_sys_%S_s,_maxrss_%M_KB"
{
	echo "commit $(git rev-parse --short HEAD), $(nproc) CPUs, $(date -u +%FT%TZ)"
	go build -o "$work/seckill" ./cmd/seckill
	go build -o "$work/seckill-loggen" ./cmd/seckill-loggen
	echo "== store: 1,000,000 wins over 100 SKUs"
	uptime
	$t "$work/seckill-loggen" -data "$work/big1m" -wins 1000000 -skus 100 2>&1
	echo "== replay (docs/AUDIT.md, Throughput; the digest line is the example digest)"
	for run in 1 2 3; do
		uptime
		$t "$work/seckill" replay -data "$work/big1m" 2>&1 | grep -E '^(digest|OK|FAIL|audited)|_wall_'
	done
	echo "== export (docs/EXPORT.md, Export: records per second on 1,000,000 wins)"
	cp -r "$work/big1m" "$work/ex1m"
	mkdir -p "$work/out"
	for args in "-out w1.jsonl.zst" "-out w2.jsonl.zst" \
		"-all -out all.jsonl.zst" "-all -out all.csv.zst" \
		"-all -out all.jsonl" "-all -out all.csv"; do
		uptime
		# shellcheck disable=SC2086
		$t "$work/seckill" export -data "$work/ex1m" -dir "$work/out" $args 2>&1
	done
	ls -l "$work/out" | sed "s|$work|WORK|g"
} 2>&1 | sed "s|$work|WORK|g" | tee "$OUT/audit-export.txt"
