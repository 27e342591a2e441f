#!/usr/bin/env bash
# strace-requests.sh counts the system calls per Connection: close request of
# the floor, nginx, netpoll and net/http (bench/run.sh strace) and leaves the
# raw strace -c output next to this script as strace-<server>.txt, with the
# per-request table in strace.md. Needs strace and nginx-light.
exec "$(dirname "$0")/../run.sh" strace "$@"
