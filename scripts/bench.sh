#!/usr/bin/env bash
# The load harness, in one command: builds our server and the simulator,
# installs the peer (Tailcall 1.0.0, pinned, from npm) under a temporary
# folder, runs every workload side by side, and writes bench/results/.
# Flags are passed to bench (e.g. -duration 3s -workloads W1,W2).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/aspire-graphql" .
go build -o "$tmp/aspire-sim" ./cmd/aspire-sim

peer=""
if command -v npm >/dev/null 2>&1; then
	echo "== installing the peer: @tailcallhq/core-linux-x64-gnu@1.0.0"
	(cd "$tmp" && npm install --no-audit --no-fund --silent @tailcallhq/core-linux-x64-gnu@1.0.0 >/dev/null 2>&1) &&
		peer="$tmp/node_modules/@tailcallhq/core-linux-x64-gnu/bin/tailcall"
fi
[ -n "$peer" ] || echo "== npm or the peer is unavailable: running without it"

go run ./bench -server "$tmp/aspire-graphql" -sim "$tmp/aspire-sim" ${peer:+-peer "$peer"} "$@"
