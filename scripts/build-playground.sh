#!/usr/bin/env bash
# Rebuilds the GraphiQL playground (playground/dist, committed) from the npm
# packages pinned in playground/web/package-lock.json. Needs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/../playground/web"
npm ci --no-audit --no-fund
npx vite build
echo "built: $(find ../dist -type f | wc -l) files, $(du -sh ../dist | cut -f1)"
