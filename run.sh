#!/usr/bin/env bash
# Runs the whole Sonae stack on this machine with the embedded default:
# installs what is missing, builds, creates .run/ (config, data) on the
# first run and reuses it after, starts the daemons and prints the portal's
# URL.  Ctrl-C stops everything cleanly.
set -euo pipefail
cd "$(dirname "$0")"

./tools/setup.sh
if [[ ! -f build/build.ninja ]]; then
        meson setup build --buildtype=debugoptimized >/dev/null
fi
ninja -C build >/dev/null
# The residents' page (portal/web, Vite): rebuilt into portal/web/dist when
# a source is newer than the last build.
./tools/build-web.sh

run=.run
if [[ ! -f "$run/sonae.conf" ]]; then
        ./build/cli/sonae init "$run" >/dev/null
        # Serve the built front end (paths are relative to the config).
        sed -i 's|^web_root *= *web$|web_root = ../portal/web/dist|' "$run/sonae.conf"
fi
conf="$run/sonae.conf"
./build/cli/sonae -n -c "$conf" >/dev/null

listen=$(sed -n 's/^listen *= *//p' "$conf" | head -1)
port=${listen##*:}

pids=()
stop() {
        trap - INT TERM EXIT
        for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        wait 2>/dev/null || true
        echo "Sonae stopped."
}
trap stop INT TERM EXIT

for d in sonae-portald sonae-collectd sonae-ingestd; do
        sub=$(case $d in sonae-portald) echo portal ;; sonae-collectd) echo collectors ;; *) echo sensors ;; esac)
        "./build/$sub/$d" -c "$conf" &
        pids+=($!)
done

echo
echo "Sonae (備え) is running: http://127.0.0.1:${port}/"
echo "Config: $conf  —  press Ctrl-C to stop."
wait
