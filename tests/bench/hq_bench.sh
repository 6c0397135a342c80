#!/usr/bin/env bash
# The HQ dashboard's map at 10,000 stations (issue 16), measured in the
# same run against the seed's 100 stations: frame times while panning and
# zooming, one regrouping of the markers, and a zoom click to the painted
# map, in Debian's chromium (tests/bench/hq_map.mjs).  Prints both runs and
# the ratios.  Not a timed test.
#
#   tests/bench/hq_bench.sh [STATIONS]
# Run from the project root after `ninja -C build` and `tools/build-web.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-10000}
build=${SONAE_BUILD_ROOT:-build}
web=portal/web
dir=$(mktemp -d /tmp/sonae-bench-hq-XXXXXX)
pid=""
cleanup() {
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/cli/sonae" init "$dir/run" >/dev/null
conf="$dir/run/sonae.conf"
sed -i "s|^listen *=.*|listen = 127.0.0.1:$port|; s|^web_root *=.*|web_root = $(pwd)/$web/dist|; s|^level *=.*|level = warning|" "$conf"
"$build/cli/sonae" -c "$conf" db migrate >/dev/null
"$build/cli/sonae" -c "$conf" db seed >/dev/null
echo bench-password-1 | "$build/cli/sonae" -c "$conf" user add bench --role viewer >/dev/null
"$build/portal/sonae-portald" -c "$conf" 2>"$dir/portald.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/v1/ping" >/dev/null && break; sleep 0.1; done

out="$dir/out"
node tests/bench/hq_map.mjs "http://127.0.0.1:$port" "$(pwd)/$web" bench bench-password-1 baseline | tee "$out"
"$build/tests/portal-seed" "$dir/run/data/sonae.db" many "$n" >/dev/null
node tests/bench/hq_map.mjs "http://127.0.0.1:$port" "$(pwd)/$web" bench bench-password-1 "stations-$n" | tee -a "$out"
python3 - "$out" <<'PY'
import json, sys
runs = [json.loads(l.split(" ", 2)[2]) for l in open(sys.argv[1]) if l.startswith("RUN ")]
b, m = runs
print(f"hq map: {m['stations']} vs {b['stations']} gauges and sensors; markers drawn {m['markers']} vs {b['markers']}")
for k in ("frame_p50_ms", "frame_p95_ms", "regroup_p50_ms", "move_to_paint_p50_ms", "move_to_paint_p95_ms",
          "zoom_click_to_paint_ms", "ready_ms"):
    r = m[k] / b[k] if b[k] else float("inf")
    print(f"  {k:24s} {m[k]:8.1f} vs {b[k]:8.1f}  ratio {r:5.2f}")
print("  (a zoom click includes Leaflet's 0.25 s zoom animation; the ratios are what compare across machines)")
PY
