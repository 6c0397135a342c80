#!/usr/bin/env bash
# Runs the whole Sonae stack on this machine with the demo: a heavy-rain
# night over a fictional city (若葉川市, 架空), played by a local replay
# server in compressed time.  Installs what is missing, builds, prepares
# .run/ on the first run (config, SpatiaLite store, demo layers, generated
# credentials, Mosquitto config and ACL) and reuses it after, starts
# Mosquitto, sonae-collectd, sonae-ingestd, sonae-portald, the scenario and
# five sensor nodes on its clock (when their simulator is built; their NVM
# is kept in the data folder too), and prints the URLs and the demo staff
# login.  Ctrl-C stops everything cleanly.
#
# Environment: SONAE_DEMO_DIR (default .run), SONAE_DEMO_SPEED (first run
# only: time compression, default 60 = ten minutes in ten seconds),
# SONAE_DEMO_ANY_PORT=1 (first run only: free ports instead of 8080, 1883,
# 8090), SONAE_DEMO_NO_SETUP=1 (skip installing and building, for tests).
set -euo pipefail
cd "$(dirname "$0")"

if [[ "${SONAE_DEMO_NO_SETUP:-0}" != "1" ]]; then
        ./tools/setup.sh
        if [[ ! -f build/build.ninja ]]; then
                meson setup build --buildtype=debugoptimized >/dev/null
        fi
        ninja -C build >/dev/null
        # The residents' page (portal/web, Vite): rebuilt into portal/web/dist
        # when a source is newer than the last build.
        ./tools/build-web.sh
fi

run=${SONAE_DEMO_DIR:-.run}
prep=(--dir "$run" --build build --speed "${SONAE_DEMO_SPEED:-60}")
[[ "${SONAE_DEMO_ANY_PORT:-0}" == "1" ]] && prep+=(--any-port)
env_lines=$(python3 demo/prepare.py "${prep[@]}")
PORTAL_PORT=$(sed -n 's/^PORTAL_PORT=//p' <<<"$env_lines")
MQTT_PORT=$(sed -n 's/^MQTT_PORT=//p' <<<"$env_lines")
REPLAY_PORT=$(sed -n 's/^REPLAY_PORT=//p' <<<"$env_lines")
conf="$run/sonae.conf"
speed=$(sed -n 's/^speed *= *//p' "$conf" | head -1)
./build/cli/sonae -n -c "$conf" >/dev/null
mkdir -p "$run/logs"

pids=()
stop() {
        trap - INT TERM EXIT
        # Nodes and the replay first, then the daemons, the broker last.
        local i
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
                kill -TERM "${pids[i]}" 2>/dev/null || true
                wait "${pids[i]}" 2>/dev/null || true
        done
        echo "Sonae stopped. The data stay in $run/ (run ./run.sh again to reuse them)."
}
trap stop INT TERM EXIT

wait_port() {
        local port=$1 what=$2 n
        for ((n = 0; n < 100; n++)); do
                if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                        return 0
                fi
                sleep 0.1
        done
        echo "run.sh: $what did not start on port $port (see $run/logs/)" >&2
        exit 1
}

# A port already taken (an earlier run killed hard, another program) would
# make the new daemons fail while the checks below saw the old ones.
for p in "$PORTAL_PORT" "$MQTT_PORT" "$REPLAY_PORT"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
                echo "run.sh: port $p is in use (an earlier run still going?); stop it, or edit $run/ports.env and $conf" >&2
                exit 1
        fi
done

# The sensor nodes' provisioning, before the broker starts (it reads the
# password file and the ACL that `sonae device add` writes only when it
# starts or reloads), and their scenarios at this speed.
sim=build/firmware/ports/host/sonae-node-sim
mapfile -t nodes < <(python3 demo/nodes.py list)
sim_ready=
nodes_note="sensor nodes: not started ($sim is not built; build the firmware's host port to see them)"
if [[ -x $sim ]]; then
        sim_ready=1
        for dev in "${nodes[@]}"; do
                mkdir -p "$run/nodes/$dev"
                if [[ ! -f "$run/devices/$dev.conf" ]] &&
                        ! python3 demo/nodes.py add "$conf" "$dev" "$speed" >>"$run/logs/nodes.log" 2>&1; then
                        sim_ready=
                        nodes_note="sensor nodes: not started (provisioning $dev failed, see $run/logs/nodes.log)"
                        break
                fi
                if ! python3 demo/nodes.py scenario "$dev" "$speed" >"$run/nodes/$dev/story.scenario" \
                        2>>"$run/logs/nodes.log"; then
                        sim_ready=
                        nodes_note="sensor nodes: not started (no scenario for $dev at speed $speed, see $run/logs/nodes.log)"
                        break
                fi
        done
fi

# One start for the story: the replay's step 0 and the nodes' story time 0.
story_start=$(date +%s%3N)

mosquitto -c "$run/mosquitto/mosquitto.conf" >>"$run/logs/mosquitto.log" 2>&1 &
pids+=($!)
wait_port "$MQTT_PORT" mosquitto

./build/portal/sonae-portald -c "$conf" >>"$run/logs/sonae-portald.log" 2>&1 &
pids+=($!)
wait_port "$PORTAL_PORT" sonae-portald

# The scenario: the replay server the sources read, and the HQ's actions.
python3 -u demo/replay.py --scenario demo/scenarios/heavy-rain-night.json --port "$REPLAY_PORT" \
        --speed "$speed" --portal "http://127.0.0.1:$PORTAL_PORT" --user demo \
        --password-file "$run/secrets/demo-staff.txt" --still build/demo/sonae-demo-still \
        --dir "$run/replay" --start-ms "$story_start" >>"$run/logs/replay.log" 2>&1 &
pids+=($!)
wait_port "$REPLAY_PORT" "the replay server"

for d in collectors/sonae-collectd sensors/sonae-ingestd; do
        "./build/$d" -c "$conf" >>"$run/logs/${d##*/}.log" 2>&1 &
        pids+=($!)
done

# The five host-port sensor nodes, on the replay's story clock: each runs
# the scenario demo/nodes.py makes from the story at this speed, from the
# same start (its story-start file), with its NVM kept in $run/nodes/.
if [[ -n $sim_ready ]]; then
        n=0
        for dev in "${nodes[@]}"; do
                # Written before it starts: the sim reads story-start once.
                echo "$story_start" >"$run/nodes/$dev/story-start"
                "$sim" --provision "$run/devices/$dev.conf" --scenario "$run/nodes/$dev/story.scenario" \
                        --state "$run/nodes/$dev" --broker "127.0.0.1:$MQTT_PORT" >>"$run/logs/nodes.log" 2>&1 &
                pids+=($!)
                n=$((n + 1))
        done
        nodes_note="sensor nodes: $n started"
fi

base="http://127.0.0.1:${PORTAL_PORT}"
echo
echo "Sonae (備え) デモ — 架空の若葉川市、大雨の夜（訓練・デモ）"
echo "  住民向けページ (residents):  $base/"
echo "  災害対策本部 (HQ dashboard): $base/hq.html"
echo "  職員ログイン (staff login):  demo / $(cat "$run/secrets/demo-staff.txt")"
echo "  $nodes_note"
echo "  story: 3 hours in $(python3 -c "print(round(180*60/float('$speed')))") s (speed $speed); logs in $run/logs/"
echo "Press Ctrl-C to stop."
wait
