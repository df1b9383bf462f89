#!/usr/bin/env bash
# The project's whole check, as CI runs it: formatting, generated code, vet,
# staticcheck, and every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

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
