#!/usr/bin/env bash
# A/B of netpoll's reply path: BenchmarkReplyHandOff (netpoll/handoff_test.go:
# one queued lookup stepped by its shard, its reply handed to the event loop,
# encoded, written and read by a raw client socket) on this tree, and on the
# commit before the per-loop reply queue (gnet's Conn.Wake per reply), with
# the same benchmark files copied in. The load is printed before each run.
# Output: stdout (committed as bench/results/reply-handoff.txt).
#   bash bench/results/reply-handoff.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-3}
change=$(git log --format=%H -1 --grep='one wake per event loop instead of one gnet Wake per reply')
base=${BASE_REV:-$(git rev-parse "$change^")}
old=$(mktemp -d /tmp/seckill-handoff-XXXX)
trap 'git worktree remove --force "$old"' EXIT
git worktree add -q --detach "$old" "$base"
cp netpoll/handoff_test.go netpoll/rig_test.go netpoll/race_test.go netpoll/norace_test.go "$old/netpoll/"
echo "new: $(git rev-parse --short HEAD) (reply queue), old: $(git rev-parse --short "$base") (Conn.Wake), $(nproc) CPUs, $(date -u +%FT%TZ)"
for run in $(seq "$count"); do
	for tree in new old; do
		dir=.
		[ "$tree" = old ] && dir=$old
		echo "== $tree, run $run; $(uptime)"
		(cd "$dir" && go test -count=1 -run '^$' -bench ReplyHandOff -benchtime 2000x ./netpoll | grep -E 'Benchmark|FAIL|_test.go')
	done
done
