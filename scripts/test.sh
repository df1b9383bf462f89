#!/usr/bin/env bash
# The project's whole check, as CI runs it: formatting, generated code, vet,
# staticcheck, and every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser test drives Debian's Chromium (no browser download).
if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		echo "== installing chromium (apt)"
		apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		echo "== installing chromium (sudo apt)"
		sudo apt-get install -y -qq chromium >/dev/null 2>&1 || { sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; }
	else
		echo "== chromium is not installed and cannot be installed here: the browser test will be skipped"
	fi
fi

# The replica tests start Debian's redis-server (persistence off, a free
# port); installed the same way.
if ! command -v redis-server >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		echo "== installing redis-server (apt)"
		apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		echo "== installing redis-server (sudo apt)"
		sudo apt-get install -y -qq redis-server >/dev/null 2>&1 || { sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; }
	else
		echo "== redis-server is not installed and cannot be installed here: the Redis tests will be skipped"
	fi
fi

# The container tests (deploy/container_test.go) build the Dockerfile and
# run the image with Debian's podman and runc (as root: rootless podman
# needs a user namespace setup this machine does not have).
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		echo "== installing podman and runc (apt)"
		apt-get install -y -qq podman runc >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq podman runc >/dev/null; }
	else
		echo "== podman and runc are not installed (or not root): the container tests will be skipped"
	fi
fi

# Standard GraphQL clients run against the demo server (TestStandardClients):
# graphql-js, the graphql-http audit, graphql-codegen and relay-compiler,
# pinned in clients/package-lock.json.
if command -v npm >/dev/null 2>&1; then
	echo "== npm ci (clients/)"
	(cd clients && npm ci --no-audit --no-fund --loglevel=error)
else
	echo "== npm is not installed: the standard-client checks will be skipped"
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go generate (generated code must be committed)"
state() { { git status --porcelain -uall; git diff HEAD; } | sha256sum; }
before=$(state)
go generate ./...
if [ "$(state)" != "$before" ]; then
	git status --short
	echo "go generate changed files: run it and commit the result"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

echo "== fuzz (a short, fixed slice of each target; long runs: raise -fuzztime)"
for target in "FuzzHandler ./server/" "FuzzCursor ./graph/" "FuzzResponseDecoding ./aspire/" "FuzzDecodeMatchesEncodingJSON ./aspire/"; do
	set -- $target
	go test -run='^$' -fuzz="^$1\$" -fuzztime="${FUZZTIME:-10s}" "$2"
done
