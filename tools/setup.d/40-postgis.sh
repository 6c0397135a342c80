#!/usr/bin/env bash
# The PostGIS tests run a throwaway PostgreSQL server (tests/lib/pgserver.py)
# as the dedicated system user sonae-pg, since initdb refuses root.  Creates
# the user when missing; idempotent.  Debian's package also registers a
# cluster service, which the tests do not use.
set -euo pipefail
if ! id sonae-pg >/dev/null 2>&1; then
        sudo=""
        [[ $(id -u) -eq 0 ]] || sudo="sudo"
        echo "setup: creating the system user sonae-pg"
        $sudo useradd --system --no-create-home --shell /usr/sbin/nologin sonae-pg
fi
