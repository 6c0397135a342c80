#!/usr/bin/env bash
# The front end's npm packages (portal/web): `npm ci` from the committed
# package-lock.json, only when node_modules does not match the lock file
# (npm writes node_modules/.package-lock.json; a stamp of the lock's hash
# says which lock it was installed from).  Asks no registry otherwise.
set -euo pipefail
cd "$(dirname "$0")/../../portal/web"

want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.sonae-lock-sha256
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f node_modules/.package-lock.json ]]; then
        exit 0
fi
echo "setup: npm ci in portal/web"
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
