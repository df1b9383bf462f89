#!/usr/bin/env bash
# Measures the peak RSS of the export command writing 100,000 posts: the
# simulator runs as a process of its own, the export as another, and its
# VmHWM is read from /proc while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill $sim 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/aspire-graphql" .
go build -o "$tmp/aspire-sim" ./cmd/aspire-sim
"$tmp/aspire-sim" -addr 127.0.0.1:9595 -posts 100000 -rate-limit 0 >/dev/null 2>&1 & sim=$!
until curl -sf http://127.0.0.1:9595/_sim/stats >/dev/null; do sleep 0.2; done
start=$(date +%s.%N)
"$tmp/aspire-graphql" export posts --start 2025-01-01 --end 2026-12-31 --out "$tmp/100k.csv" \
	-upstream-url http://127.0.0.1:9595 -api-key sim_demo_key_9f8e7d6c5b4a \
	-client-id 5a1e0d3m0w0rk5pac3000000000000a1 -rate-limit 0 2>/dev/null & pid=$!
peak=0
while kill -0 $pid 2>/dev/null; do
	kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
	[ "${kb:-0}" -gt "$peak" ] && peak=$kb
	sleep 0.01
done
wait $pid
echo "rows: $(($(wc -l < "$tmp/100k.csv") - 1)); seconds: $(echo "$(date +%s.%N) - $start" | bc); peak RSS: $((peak / 1024)) MiB"
