#!/usr/bin/python3
"""The demo's sensor nodes, on the demo's story clock.

    demo/nodes.py add CONF DEVICE SPEED
        runs `sonae device add` for one node of demo/city.py's NODES
        (station, point, mount height, the station's expected interval at
        SPEED), which writes its provisioning file and its broker password
        and ACL entries.
    demo/nodes.py list
        prints the nodes' device names, one a line.
    demo/nodes.py scenario DEVICE SPEED [--story FILE]
        prints the node's scenario for sonae-node-sim (the format is in
        docs/firmware.md, "The scenario file"), made from the demo's story
        (default demo/scenarios/heavy-rain-night.json) at SPEED, the
        `[demo] speed` the replay server plays it at.

The nodes tell no story of their own: each node's water level is read from
the story's gauges (NODE_STORY below), step by step, so that a node's level
crosses its thresholds when the gauges and the telegrams of the story do.
Story time 0 is the replay's step 0; run.sh gives the nodes and the replay
one start (the node's `story-start`, the replay's `--start-ms`).  SPEED
sets the scenario's `scale` and the node's intervals: a measurement every
ten minutes of the story, a heartbeat every twenty, at least an hour in
flood mode, each a whole number of real seconds (at least one).  Used by
run.sh, the demo test and node-scenarios."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import city  # noqa: E402

STORY = os.path.join(HERE, "scenarios", "heavy-rain-night.json")

# device -> where its water comes from in the story: a list of (series,
# weight) summed (series "gauge" is the 若葉橋 telemeter, "crisis0" and
# "crisis1" the two 危機管理型水位計 of city.CRISIS), minutes later than the
# story's step (the water takes that long to reach the node), plus an
# offset in metres; its 観測開始 (start_level_m: flood mode from there);
# its outage (story minutes, from, to) or None; the signal (dBm) it has.
NODE_STORY = {
    # Beside 若葉川上流（簡易）: the same water.
    "node-1": ([("crisis0", 1.0)], 0, 0.0, 1.00, None, -88),
    # Between the upper gauge and 若葉橋.
    "node-2": ([("crisis0", 0.5), ("gauge", 0.5)], 0, 0.0, 1.50, None, -84),
    # Beside the 若葉橋 gauge, on the same datum: it loses its network from
    # +50 to +140 minutes, the whole time the river is above 避難判断水位
    # (2.90 m), and comes back with its backlog.
    "node-3": ([("gauge", 1.0)], 0, 0.0, 2.30, (50, 140), -93),
    # Beside 小沢川（簡易）.
    "node-4": ([("crisis1", 1.0)], 0, 0.0, 0.80, None, -90),
    # Downstream of 若葉橋: the same flood ten minutes later.
    "node-5": ([("gauge", 1.0)], 10, 0.1, 2.50, None, -86),
}


def timing(speed):
    """The node's intervals (real seconds) and the station's expected
    interval at speed (story seconds per real second)."""
    def real(story_s, least=1):
        return max(least, round(story_s / speed))
    return {"measure_s": real(600), "flood_s": real(600), "heartbeat_s": real(1200),
            "flood_min_s": real(3600), "expected_s": real(600, 10)}


def levels(dev, story_path=STORY):
    """The node's water level (m) at each story minute of the story's steps."""
    with open(story_path, encoding="utf-8") as f:
        sc = json.load(f)
    series, lag, offset = NODE_STORY[dev][0], NODE_STORY[dev][1], NODE_STORY[dev][2]
    out = []
    for step in sc["steps"]:
        src = {"gauge": step["gauge"], "crisis0": step["crisis"][0], "crisis1": step["crisis"][1]}
        out.append((step["at"] + lag, round(sum(src[s] * w for s, w in series) + offset, 3)))
    return out


def scenario(dev, speed, story_path=STORY):
    if dev not in NODE_STORY:
        raise KeyError(dev)
    if not 1 <= speed <= 3600:
        raise ValueError(f"speed {speed} is outside 1..3600 (the range of [demo] speed)")
    node = next(n for n in city.NODES if n[0] == dev)
    _, _, _, start, outage, signal = NODE_STORY[dev]
    t = timing(speed)
    lv = levels(dev, story_path)
    end = lv[-1][0]
    scale = f"{speed:.3f}".rstrip("0").rstrip(".")
    lines = [
        f"# Sonae demo, {dev} — {node[2]} ({node[1]}) of demo/city.py, mount height {node[5]:.2f} m.",
        f"# Made by demo/nodes.py from {os.path.basename(story_path)} at speed {scale}: story time 0 is",
        "# the replay's step 0; a measurement every 10 story minutes, a heartbeat every 20.",
        f"scale {scale}",
        f"settings measure_s={t['measure_s']}",
        f"settings flood_s={t['flood_s']}",
        f"settings heartbeat_s={t['heartbeat_s']}",
        f"settings flood_min_s={t['flood_min_s']}",
        f"settings start_level_m={start:.2f}",
        "noise 0.004",
    ]
    lines += [f"level {m}m {v:.3f}" for m, v in lv]
    if outage:
        lines.append(f"outage {outage[0]}m {outage[1]}m")
    lines += [f"battery 0 3.62", f"battery {end}m 3.60", "temp 0 17.5", f"temp {end}m 14.0",
              f"signal 0 {signal}", f"signal {end // 2}m {signal - 8}", f"signal {end}m {signal}"]
    return "\n".join(lines) + "\n"


def add(sonae, conf, dev, speed):
    for d, station, name, lon, lat, mount in city.NODES:
        if d == dev:
            return subprocess.run([sonae, "-c", conf, "device", "add", d, "--station", station,
                                   "--mount-height", str(mount), "--lon", str(lon), "--lat", str(lat),
                                   "--name", name, "--interval", str(timing(speed)["expected_s"])]).returncode
    print(f"nodes.py: no node {dev} in demo/city.py", file=sys.stderr)
    return 1


def usage():
    print("usage: demo/nodes.py add CONF DEVICE SPEED | list | scenario DEVICE SPEED [--story FILE]",
          file=sys.stderr)
    sys.exit(2)


def main(argv):
    try:
        if len(argv) == 4 and argv[0] == "add":
            build = os.environ.get("SONAE_BUILD_ROOT", os.path.join(os.path.dirname(HERE), "build"))
            return add(os.path.join(build, "cli", "sonae"), argv[1], argv[2], float(argv[3]))
        if argv == ["list"]:
            print("\n".join(n[0] for n in city.NODES if n[0] in NODE_STORY))
            return 0
        if len(argv) in (3, 5) and argv[0] == "scenario":
            story = argv[4] if len(argv) == 5 and argv[3] == "--story" else STORY
            if len(argv) == 5 and argv[3] != "--story":
                usage()
            sys.stdout.write(scenario(argv[1], float(argv[2]), story))
            return 0
    except KeyError as e:
        print(f"nodes.py: no node {e} in demo/nodes.py's NODE_STORY", file=sys.stderr)
        return 1
    except (ValueError, OSError) as e:
        print(f"nodes.py: {e}", file=sys.stderr)
        return 1
    usage()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
