#!/usr/bin/env bash
# bench/results/overload-hiccup.sh: three 20x overload runs (bench/run.sh
# overload, 60 s each) with a 1 ms SCHED_FIFO sleeper on each core
# (hiccup.py) that logs every wake over 10 ms late with its wall-clock time.
# If the worst attempt waits far longer than the server core's worst
# hiccup, the stall is inside the server process (or its network path),
# not the core, the kernel's scheduler or the VM. Output:
# bench/results/issue13-overload-hiccup/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/results/issue13-overload-hiccup
mkdir -p "$out"
python3 bench/results/hiccup.py "${SERVER_CPU:-0}" 330 "$out/hiccup-core0.txt" &
python3 bench/results/hiccup.py "${LOAD_CPU:-1}" 330 "$out/hiccup-core1.txt" &
OUT=$out OVERLOAD_X=20 OVERLOAD_DURATION=60s REPS_SLOW=3 bash bench/run.sh overload
wait
