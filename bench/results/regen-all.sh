#!/usr/bin/env bash
# bench/results/regen-all.sh re-measures every figure in docs/*.md into
# bench/results/, one script after the other, for a quiet machine (nothing
# else running: the figures are only as good as the machine's quiet). Each
# step's start, end and load average go to bench/results/regen-all.log.
#
#   bash bench/results/regen-all.sh            every step below
#   bash bench/results/regen-all.sh peers cpu  only the named steps
#
# step        doc figure                                       script
# machine     BENCHMARKS §0 the machine                        bench/run.sh machine
# gobench     BENCHMARKS §8 Go benchmarks                      bench/run.sh gobench
# durable     BENCHMARKS §6 durable wins, fsync probe          bench/run.sh durable
# uids        BENCHMARKS §7 10M reservations                   bench/run.sh uids
# cpu         BENCHMARKS §1 CPU per request                    bench/run.sh cpu
# wrk         BENCHMARKS §2 wrk                                bench/run.sh wrk
# hold        BENCHMARKS §3 memory per held connection         bench/run.sh hold
# overload    BENCHMARKS §5 overload                           bench/run.sh overload
# wire        BENCHMARKS §5/§9 overload waits on the wire      bench/results/overload-wire.sh
# burst       BENCHMARKS §4 burst and its plot                 bench/run.sh burst
# syscalls    BENCHMARKS §1/§9 strace table, CPU/alloc profiles bench/results/syscalls.sh
# profile6    BENCHMARKS §6, §9 CPU profile of a durable win    bench/results/durable-profile.sh
# peers       BENCHMARKS §10 net/http + Redis + Lua            bench/peers/run.sh
# metrics     OBSERVABILITY metrics on/off                     bench/run.sh metrics (BASE_REV=ba0edfe)
# scrape      OBSERVABILITY scrape cost                        go test -bench Scrape1000 (below)
# audit       AUDIT throughput, example digest; EXPORT command table   bench/results/audit-export.sh
# handoff     EXPORT Go benchmarks, profile, push drain, buy path, crash log   bench/results/handoff.sh
# cluster     CLUSTER gateway vs direct                       bench/results/cluster.sh
# waitlist    API/ADMIN waitlisted vs sold_out cost           bench/results/waitlist.sh > waitlist.txt
# lottery     BENCHMARKS §11 fair opening                      bench/results/lottery.sh > lottery.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
ALL=(machine gobench durable uids cpu wrk hold overload wire burst syscalls replyhandoff profile6 peers metrics scrape audit handoff cluster waitlist lottery)
LOG=bench/results/regen-all.log

step() {
	case $1 in
	machine | gobench | durable | uids | cpu | wrk | hold | overload | burst) bash bench/run.sh "$1" ;;
	syscalls) bash bench/results/syscalls.sh ;;
	profile6) bash bench/results/durable-profile.sh ;;
	wire) bash bench/results/overload-wire.sh ;;
	peers) bash bench/peers/run.sh ;;
	metrics) BASE_REV=${BASE_REV:-ba0edfe} CPU_REPS=${CPU_REPS:-6} COUNT=${COUNT:-10000} bash bench/run.sh metrics ;;
	scrape)
		{
			echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
			go test -run XXX -bench Scrape1000 -benchtime 20x -count 3 ./internal/app/server
		} 2>&1 | tee bench/results/scrape.txt
		;;
	audit) bash bench/results/audit-export.sh ;;
	handoff) bash bench/results/handoff.sh ;;
	cluster) bash bench/results/cluster.sh ;;
	replyhandoff) bash bench/results/reply-handoff.sh | tee bench/results/reply-handoff.txt ;;
	waitlist) bash bench/results/waitlist.sh | tee bench/results/waitlist.txt ;;
	lottery) bash bench/results/lottery.sh | tee bench/results/lottery.txt ;;
	*)
		echo "regen-all: unknown step $1 (steps: ${ALL[*]})" >&2
		exit 2
		;;
	esac
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=("${ALL[@]}")
for s in "${steps[@]}"; do
	begin=$(date +%s)
	echo "$(date -u +%FT%TZ) start $s, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG"
	step "$s"
	echo "$(date -u +%FT%TZ) done $s in $(($(date +%s) - begin)) s, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG"
done
