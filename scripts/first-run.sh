#!/usr/bin/env bash
# Measures a newcomer's first `go run .`: empty module and build caches (in
# a temporary folder, so the machine's own stay untouched; modules come
# from GOPROXY), until the demo server answers /healthz. With -build-only
# the module cache is the machine's (full) and only the build cache is
# empty: the compile alone.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -- -$pid 2>/dev/null; chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
export GOCACHE=$tmp/gocache GOFLAGS=-modcacherw
[ "${1:-}" = -build-only ] || export GOMODCACHE=$tmp/gomodcache
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
set -m
go run . -addr 127.0.0.1:"$port" >"$tmp/out.log" 2>&1 & pid=$!
set +m
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
	kill -0 $pid 2>/dev/null || { cat "$tmp/out.log"; exit 1; }
	sleep 0.2
done
secs=$(echo "$(date +%s.%N) - $start" | bc)
echo "first go run . answered /healthz after $secs s (GOMODCACHE ${GOMODCACHE:-of the machine}, GOCACHE empty; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
