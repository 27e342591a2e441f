#!/usr/bin/env python3
# hiccup.py CPU SECONDS OUT: on core CPU, at SCHED_FIFO priority 50, sleep
# 1 ms in a loop for SECONDS and log every wake more than 10 ms late, with
# the wall-clock time, so a stall of the whole core (kernel or VM) can be
# told apart from a stall inside one process on that core.
import os, sys, time
cpu, secs, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
os.sched_setaffinity(0, {cpu})
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
except PermissionError:
    pass
end = time.monotonic() + secs
worst = 0.0
with open(out, "w") as f:
    while time.monotonic() < end:
        t0 = time.monotonic()
        time.sleep(0.001)
        late = time.monotonic() - t0 - 0.001
        worst = max(worst, late)
        if late > 0.010:
            f.write(f"{time.time():.3f} late_ms={late*1000:.1f}\n")
            f.flush()
    f.write(f"# worst late_ms={worst*1000:.1f}\n")
