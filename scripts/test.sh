#!/usr/bin/env bash
# The project's whole check, as CI runs it: formatting, generated code, vet,
# staticcheck, and every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the required tests use, installed when this runs as root
# (or with sudo); without them those tests skip (CI, .ci/run, requires them).
# install CMD... -- PACKAGE... : apt-installs the packages (options such as
# --no-install-recommends pass through) when one of the commands is missing.
install() {
	local cmds=() pkgs=() missing=
	while [ "$1" != -- ]; do cmds+=("$1"); shift; done; shift; pkgs=("$@")
	for c in "${cmds[@]}"; do command -v "$c" >/dev/null 2>&1 || missing=1; done
	[ -z "$missing" ] && return 0
	local sudo=
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=sudo; else
			echo "== ${pkgs[*]} not installed and cannot be installed here: the tests that need them will be skipped"; return 0
		fi
	fi
	echo "== installing ${pkgs[*]} (apt)"
	$sudo apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1 ||
		{ $sudo apt-get update -qq && $sudo apt-get install -y -qq "${pkgs[@]}" >/dev/null; }
}
# The browser test drives Debian's Chromium (no browser download).
install chromium -- chromium
# The replica tests start Debian's redis-server (persistence off, a free port).
install redis-server -- redis-server
# The CSV-injection test opens exports in LibreOffice Calc (headless).
install soffice -- --no-install-recommends libreoffice-calc-nogui
# The container tests (deploy/container_test.go) build the Dockerfile and run
# the image with Debian's podman and runc (as root: rootless podman needs a
# user namespace set-up this machine does not have).
install podman runc -- podman runc

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
