"""The node end to end: sonae-node-sim (the firmware as a process, with
the real range driver reading MaxBotix lines made from a hydrograph)
against a real Mosquitto and a real sonae-ingestd writing a SpatiaLite
store.

1. A flood: the water rises past the node's start level and falls back.
   The node enters flood mode once, reports every flood_s while in it,
   leaves it once (hysteresis: 0.10 m below, three calm readings, the
   least dwell), and goes back to batched heartbeats.  Every reading is in
   the store once, with the server's level (mount height − dist) and the
   station's 警戒レベル from its thresholds rising to 4 and falling back.
2. Hostile downlinks on its retained `down`: an out-of-range interval, an
   oversized message, malformed JSON, a repeated key.  Each is rejected
   whole; the node keeps measuring every second on its old settings.

Story time: 1 real second = 15 minutes of the story (scale 900); the node
measures every second (measure_s=1 from its provisioning)."""

import json
import time

from sonaetest import SCALE, check, done, wait_for
from sensornet import INGEST_USER, Net, down, mqtt_client
from nodesim import Node, Rig

DEV = "flood-01"
SCENARIO = """# a heavy-rain hydrograph, level in metres above the gauge datum
scale 900
noise 0.003
level 0 0.50
level 1h 0.60
level 3h 2.50
level 4h 2.50
level 6h 0.50
level 12h 0.50
battery 0 3.62
battery 12h 3.60
temp 0 14
signal 0 -91
"""
SETTINGS = {"measure_s": 1, "flood_s": 1, "heartbeat_s": 8, "flood_min_s": 5,
            "start_level_m": "1.5"}

net = Net(tls=False)
rig = Rig(net)
try:
    net.start_broker()
    net.add_device(DEV, "st-flood", 5.0, interval=60)
    net.reload_broker()
    net_db_update = __import__("sqlite3").connect(net.db)
    net_db_update.execute(
        "UPDATE stations SET thr_standby = 0.8, thr_caution = 1.2, thr_evacuation = 1.8, "
        "thr_danger = 2.2, thr_flood = 3.0 WHERE external_id = 'st-flood'")
    net_db_update.commit()
    net_db_update.close()
    d = net.start_ingestd()
    check(wait_for(lambda: "connected to the broker" in d.output(), 10), "ingestd connected")
    node, mon, _ = rig.add(DEV, SCENARIO, SETTINGS)
    t0 = time.monotonic()

    # ---- 1. the flood ----
    check(wait_for(lambda: "mode flood" in node.output(), 30),
          "the node enters flood mode as the water passes 1.5 m")
    t_flood = time.monotonic()
    check(wait_for(lambda: "mode normal" in node.output(), 60),
          "and leaves it when the water is back below the start level")
    t_normal = time.monotonic()
    log = node.output()
    check(log.count("mode flood") == 1 and log.count("mode normal") == 1,
          "one entry and one exit: no flapping at the threshold")
    time.sleep(9)  # a heartbeat after the return to normal
    node.stop()
    check("stopped" in node.output() and node.proc.returncode == 0,
          "the node stops cleanly on SIGTERM")
    check(wait_for(lambda: net.count_readings(DEV) >= 20, 10), "readings are in the store")

    arr = [t for t, _ in mon.packs]
    in_flood = [t for t in arr if t_flood + 1 < t < t_normal - 1]
    gaps = [b - a for a, b in zip(in_flood, in_flood[1:])]
    check(len(in_flood) >= 5 and max(gaps) < 3 * SCALE,
          f"in flood mode a pack every flood_s ({len(in_flood)} packs, largest gap "
          f"{max(gaps) if gaps else 0:.1f} s)")
    before = [t for t in arr if t < t_flood - 1]
    check(len(before) <= 3, f"before it, normal mode batches ({len(before)} packs in "
          f"{t_flood - t0:.0f} s of 1-second readings)")
    after = [(t, p) for t, p in mon.packs if t > t_normal + 1]
    sizes = [sum(1 for r in p if r.get("n") == "seq") for _, p in after]
    check(sizes and max(sizes) >= 5, f"after it, heartbeats carry batches again {sizes}")

    wire = mon.readings()
    check(len(wire) == len(set(wire)), "no reading was sent twice")
    seqs = sorted(s for _, s in wire)
    check(seqs == list(range(len(seqs))) and len(seqs) > 20,
          f"the seqs 0..{len(seqs) - 1} arrived without a hole")
    check(wait_for(lambda: net.count_readings(DEV) == len(seqs), 10),
          f"all {len(seqs)} readings are in the store once")
    rows = net.query("SELECT r.measured_at, r.dist_m, o.value FROM readings r "
                     "JOIN devices dv ON dv.id = r.device_id "
                     "JOIN stations s ON s.external_id = 'st-flood' "
                     "JOIN observations o ON o.station_id = s.id AND o.quantity = 'water_level_m' "
                     "AND o.observed_at = r.measured_at WHERE dv.device = ? ORDER BY r.seq", (DEV,))
    # The node stamps readings in whole UTC seconds from an offset that each
    # session's network time may move by a second, so at one reading a second
    # two readings can share a time (and so one observation): compare the
    # others.
    stamps = [t for t, _, _ in rows]
    unique = [r for r in rows if stamps.count(r[0]) == 1]
    bad = [r for r in unique if abs(5.0 - r[1] - r[2]) > 1e-6]
    check(len(rows) == len(seqs) and len(unique) > 0.7 * len(rows) and not bad,
          f"each reading has its observation: the server's level is 5.0 m − dist "
          f"({len(rows)} rows, mismatches {bad[:3]})")
    peak = max(v for _, _, v in rows)
    check(2.40 < peak < 2.60, f"the peak is the hydrograph's 2.5 m ({peak:.3f})")
    levels = [lv for (lv,) in net.query(
        "SELECT level FROM events WHERE type = 'station.level' ORDER BY id")]
    check(4 in levels and levels.index(4) < len(levels) - 1 and levels[-1] in (None, 1),
          f"the station's 警戒レベル rises to 4 and falls back {levels}")

    # ---- 2. hostile downlinks ----
    ing = mqtt_client(net, INGEST_USER, net.secrets[INGEST_USER], client_id="test-admin")
    # Back after a reset, now in a session every 2 s (heartbeat_s=2), so
    # each downlink is met quickly.
    node = Node(net, DEV, SCENARIO, dict(SETTINGS, heartbeat_s=2)).start()
    rig.nodes.append(node)
    check(wait_for(lambda: "session ok" in node.output(), 20), "the node is back")
    hostile = [
        ("an interval out of range", json.dumps({"measure_s": 5})),
        ("a heartbeat of zero", json.dumps({"heartbeat_s": 0, "measure_s": 600})),
        ("an oversized message", json.dumps({"measure_s": 600, "pad": "x" * 2000})),
        ("malformed JSON", '{"measure_s": 600,'),
        ("a repeated key", '{"measure_s": 600, "measure_s": 600}'),
        ("a wrong type", '{"measure_s": "600"}'),
    ]
    def rejected():
        last = [l for l in node.output().splitlines() if "session " in l][-1]
        return int(last.split(" downlinks rejected")[0].split(", ")[-1])

    for what, body in hostile:
        before = node.output().count("session ")
        r0 = rejected()
        n0 = net.count_readings(DEV)
        ing.publish(down(DEV), body, qos=1, retain=True).wait_for_publish(10)
        check(wait_for(lambda: node.output().count("session ") >= before + 2, 30),
              f"{what}: the node holds two more sessions with it retained")
        last = [l for l in node.output().splitlines() if "session " in l][-1]
        check("measure 1s" in last and rejected() > r0,
              f"{what}: rejected, still measuring every 1 s ({last})")
        check(wait_for(lambda: net.count_readings(DEV) >= n0 + 2, 10),
              f"{what}: readings keep arriving at the old pace")
    check(rejected() >= len(hostile), f"every hostile downlink was counted ({rejected()})")
    ing.publish(down(DEV), "{}", qos=1, retain=True).wait_for_publish(10)
    ing.loop_stop()
    node.stop()
    check(node.proc.returncode == 0, "the node stops cleanly on SIGTERM")
except SystemExit:
    rig.dump()
    raise
finally:
    rig.close()
done("test_node_flood")
