#!/usr/bin/env bash
# /api/v1/hazard of sonae-portald under wrk on loopback, in the same run as
# its ceiling, /api/v1/ping.  The store is filled with `sonae import`: the
# real JMA 鶴岡市 polygon and code table, the real GSI shelters of 鶴岡市,
# the authored A31/A33 layers of tests/fixtures/geo.  10,000 distinct random
# points inside 鶴岡市 (kept when the portal itself places them in area
# 0620300) are asked in turn, each request with a distinct counter in an
# undeclared parameter, so no answer comes from the portal's cache: every
# request runs geo_hazard_at() and geo_shelters_near() per hazard present.
# Prints req/s and p99 for each, and hazard/ping.  Aim: p99 < 20 ms.
#
#   tests/bench/hazard_bench.sh [SECONDS] [CONNECTIONS] [POINTS]
# Run from the project root after `ninja -C build`; SONAE_FIXTURES as for
# the tests (default ../shared/fixtures).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
conns=${2:-100}
npoints=${3:-10000}
build=${SONAE_BUILD_ROOT:-build}
fixtures=${SONAE_FIXTURES:-../shared/fixtures}
auth=tests/fixtures/geo
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt install wrk)"; exit 1; }

dir=$(mktemp -d /tmp/sonae-bench-hazard-XXXXXX)
pid=""
cleanup() {
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$dir/web"
cat >"$dir/sonae.conf" <<CONF
[store]
path = sonae.db
[log]
# The benchmark measures the server: warnings only, no access log.
level = warning
[portal]
listen = 127.0.0.1:$port
web_root = web
CONF
sonae() { "$build/cli/sonae" -c "$dir/sonae.conf" "$@" >/dev/null 2>&1; }
sonae db migrate
sonae import areas "$fixtures/jma_area_codes/CityCode.csv"
sonae import areas "$fixtures/gis/jma_area_polygons/class20_0620300_tsuruoka.geojson"
sonae import shelters "$fixtures/gis/shelters/gsi_emergency_062031_tsuruoka.geojson"
sonae import shelters "$fixtures/gis/shelters/gsi_evacuation_062031_tsuruoka.geojson"
sonae import hazard "$auth/a31_max_6668.shp"
sonae import hazard "$auth/a33_6668.geojson"

"$build/portal/sonae-portald" -c "$dir/sonae.conf" 2>"$dir/portald.log" &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -fs "$base/api/v1/ping" >/dev/null 2>&1 && break; sleep 0.1; done

# Random points in the city's bounding box, kept when inside 鶴岡市; a
# quarter drawn around the centre, where the flood and landslide layers
# are, so shelter queries run too.
python3 - "$port" "$npoints" "$dir/points.lua" <<'PY'
import http.client, json, random, sys
port, want, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rnd = random.Random(20261124)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
pts, seen, with_hz = [], set(), 0
while len(pts) < want:
    if rnd.random() < 0.25:
        lon, lat = rnd.uniform(139.79, 139.88), rnd.uniform(38.67, 38.75)
    else:
        lon, lat = rnd.uniform(139.538, 140.031), rnd.uniform(38.316, 38.827)
    key = (f"{lat:.6f}", f"{lon:.6f}")
    if key in seen:
        continue
    seen.add(key)
    c.request("GET", f"/api/v1/hazard?lat={key[0]}&lon={key[1]}")
    a = json.loads(c.getresponse().read())
    if a.get("area_code") == "0620300":
        pts.append(key)
        with_hz += bool(a["hazards"])
with open(out, "w") as f:
    f.write("points = {\n")
    for lat, lon in pts:
        f.write(f'  "lat={lat}&lon={lon}",\n')
    f.write("}\n")
print(f"{len(pts)} distinct points in 鶴岡市, {with_hz} with a hazard (shelter lists)")
PY
cat >>"$dir/points.lua" <<'LUA'
-- Every request a point of the list and a distinct counter: never cached.
local n = 0
local id = 0
setup = function(thread)
  id = id + 1
  thread:set("tid", id)
end
request = function()
  n = n + 1
  local p = points[(n * 7919 + tid * 104729) % #points + 1]
  return wrk.format("GET", "/api/v1/hazard?" .. p .. "&b=" .. tid .. "-" .. n)
end
LUA

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

echo "sonae-portald, $conns connections, ${secs}s each"
run "ping (ceiling)" "$base/api/v1/ping"
# SONAE_BENCH_PERF=FILE: a perf profile of the server during the uncached run.
[[ -n "${SONAE_BENCH_PERF:-}" ]] && { perf record -g -o "$SONAE_BENCH_PERF" -p "$pid" -- sleep "$secs" >/dev/null 2>&1 & }
run "hazard uncached (random points)" "$base" -s "$dir/points.lua"
run "hazard cached (one point)" "$base/api/v1/hazard?lat=38.73&lon=139.815"
echo
echo "hazard uncached / ping:   $(ratio "$(rate "hazard uncached (random points)")" "$(rate "ping (ceiling)")")  (aim: p99 < 20 ms)"
