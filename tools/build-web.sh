#!/usr/bin/env bash
# Builds portal/web (the residents' page) into portal/web/dist, the folder
# sonae-portald serves as [portal] web_root.  Does nothing when dist is
# newer than every source; `--force` rebuilds.  Needs the npm packages of
# tools/setup.d/50-web.sh.
set -euo pipefail
cd "$(dirname "$0")/../portal/web"
stamp=dist/index.html
if [[ "${1:-}" != "--force" && -f $stamp ]] &&
        [[ -z $(find index.html vite.config.js package-lock.json src public -newer "$stamp" -print -quit) ]]; then
        exit 0
fi
npm run --silent build >/dev/null
