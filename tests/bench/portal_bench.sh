#!/usr/bin/env bash
# sonae-portald under wrk on loopback, everything measured in the same run:
#   - /api/v1/ping: the ceiling (the cheapest answer the server gives)
#   - /api/v1/stations (1,000 real gauges) against a static file holding the
#     very same bytes, served by the same server: plain and gzip
#   - the 304 rate with If-None-Match, for both
#   - /api/v1/stations uncached (a distinct bbox per request)
# Prints req/s, p99 and the ratios stations/static (aim: >= 0.5).
#
#   tests/bench/portal_bench.sh [SECONDS] [CONNECTIONS]
# Run from the project root after `ninja -C build`; SONAE_FIXTURES as for
# the tests (default ../shared/fixtures).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
conns=${2:-64}
build=${SONAE_BUILD_ROOT:-build}
fixtures=${SONAE_FIXTURES:-../shared/fixtures}
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt install wrk)"; exit 1; }

dir=$(mktemp -d /tmp/sonae-bench-portal-XXXXXX)
pid=""
cleanup() {
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

snap="$fixtures/river/k_river_crisis_gauges"
"$build/tests/portal-seed" "$dir/sonae.db" stations 1000 "$snap/snapshot_2026-06-03-05JST.json" \
        "$snap/snapshot_2025-11-01-07JST.json" "$snap/snapshot_2026-07-26-17JST.json" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$dir/web"
cat >"$dir/sonae.conf" <<CONF
[store]
path = sonae.db
[log]
# The access log at info writes a line per request; the benchmark measures
# the server, so it logs warnings only.
level = warning
[portal]
listen = 127.0.0.1:$port
web_root = web
CONF
"$build/portal/sonae-portald" -c "$dir/sonae.conf" 2>"$dir/portald.log" &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -fs "$base/api/v1/ping" >/dev/null 2>&1 && break; sleep 0.1; done

# The static file holds exactly the bytes of the stations answer.
curl -fs "$base/api/v1/stations" -o "$dir/web/stations.json"
bytes=$(stat -c %s "$dir/web/stations.json")
etag_api=$(curl -fsI "$base/api/v1/stations" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
etag_static=$(curl -fsI "$base/stations.json" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')

cat >"$dir/bbox.lua" <<'LUA'
-- A distinct bbox for every request: nothing is answered from the cache.
local n = 0
request = function()
  n = n + 1
  local w = 0.5 + (n % 100000) / 1e6
  return wrk.format("GET", string.format("/api/v1/stations?bbox=122,20,%.6f,46", 150 + w))
end
LUA

# run NAME URL [wrk args...] -> prints "NAME req/s p99"
results=()
run() {
        local name=$1 url=$2
        shift 2
        local out rps p99
        out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url" 2>&1)
        rps=$(awk '/Requests\/sec:/{print $2}' <<<"$out")
        p99=$(awk '$1=="99%"{print $2}' <<<"$out")
        if grep -q "Non-2xx or 3xx" <<<"$out"; then
                echo "$name: non-2xx answers:"; echo "$out"; exit 1
        fi
        printf '%-34s %12s req/s   p99 %s\n' "$name" "$rps" "$p99"
        results+=("$name=$rps")
}
rate() { for r in "${results[@]}"; do [[ "${r%%=*}" == "$1" ]] && echo "${r#*=}"; done; }
ratio() { python3 -c "print(f'{float($1)/float($2):.2f}')"; }

echo "sonae-portald, $conns connections, ${secs}s each; stations: 1,000 gauges, $bytes bytes"
run "ping (ceiling)" "$base/api/v1/ping"
run "stations" "$base/api/v1/stations"
run "static, same bytes" "$base/stations.json"
run "stations gzip" "$base/api/v1/stations" -H "Accept-Encoding: gzip"
run "static gzip" "$base/stations.json" -H "Accept-Encoding: gzip"
run "stations 304" "$base/api/v1/stations" -H "If-None-Match: $etag_api"
run "static 304" "$base/stations.json" -H "If-None-Match: $etag_static"
run "stations uncached (distinct bbox)" "$base" -s "$dir/bbox.lua"

echo
echo "stations / static:        $(ratio "$(rate stations)" "$(rate "static, same bytes")")  (aim >= 0.5)"
echo "stations / static, gzip:  $(ratio "$(rate "stations gzip")" "$(rate "static gzip")")"
echo "stations / static, 304:   $(ratio "$(rate "stations 304")" "$(rate "static 304")")"
echo "stations 304 / ping:      $(ratio "$(rate "stations 304")" "$(rate "ping (ceiling)")")"
echo "uncached / cached:        $(ratio "$(rate "stations uncached (distinct bbox)")" "$(rate stations)")"
