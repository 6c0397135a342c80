"""A day without network, end to end: sonae-node-sim loses its network
for 24 hours of the story (scale 2400: 1 real second is 40 minutes, the
node measuring every second) and then gets it back.  Every session
meanwhile fails (attach refused); every reading waits in the node's NVM
queue; once the network returns, every queued reading reaches the store
through Mosquitto and sonae-ingestd, in order, exactly once on the wire,
stamped with the time it was measured (not the time it was sent)."""

import re
from sonaetest import check, done, wait_for
from sensornet import Net
from nodesim import Rig

DEV = "outage-01"
SCENARIO = """scale 2400
level 0 0.40
level 30h 0.45
outage 1h 25h
"""
SETTINGS = {"measure_s": 1, "heartbeat_s": 3, "flood_s": 1}

net = Net(tls=False)
rig = Rig(net)
try:
    net.start_broker()
    net.add_device(DEV, "st-outage", 4.0, interval=60)
    net.reload_broker()
    d = net.start_ingestd()
    check(wait_for(lambda: "connected to the broker" in d.output(), 10), "ingestd connected")
    node, mon, _ = rig.add(DEV, SCENARIO, SETTINGS)
    check(wait_for(lambda: "session ok" in node.output(), 10), "the node reports before the outage")
    check(wait_for(lambda: "session failed" in node.output(), 10), "then its sessions fail")
    n_before = len(mon.readings())

    def queued():
        m = re.findall(r"session failed, (\d+) queued", node.output())
        return int(m[-1]) if m else 0

    # 24 h of story at 2400x is 36 s of real time.
    check(wait_for(lambda: queued() >= 30, 60), f"a day of readings waits in NVM ({queued()})")
    check(len(mon.readings()) == n_before, "nothing reaches the broker during the outage")
    def delivered():
        log = node.output()
        return "session ok, 0 queued" in log[log.rfind("session failed"):]

    check(wait_for(delivered, 40),
          "after the outage a session delivers the whole queue")
    node.stop()

    log = node.output()
    measured = [int(s) for s in re.findall(r"queued epoch 1 seq (\d+)", log)]
    fails = log.count("session failed")
    check(fails >= 5, f"the node kept trying through the outage ({fails} failed sessions)")
    wire = mon.readings()
    check(len(wire) == len(set(wire)), f"each of the {len(wire)} readings was sent exactly once")
    seqs = [s for _, s in wire]
    check(seqs == sorted(seqs), "they arrived in order")
    check(wait_for(lambda: net.count_readings(DEV) >= len(measured), 10),
          "they are all in the store")
    stored = [s for (s,) in net.query(
        "SELECT seq FROM readings r JOIN devices dv ON dv.id = r.device_id WHERE dv.device = ? "
        "ORDER BY seq", (DEV,))]
    check(set(measured) <= set(stored) and stored == list(range(len(stored))),
          f"every reading measured ({len(measured)}) is stored, with no hole in seq")
    times = [t for (t,) in net.query(
        "SELECT measured_at FROM readings r JOIN devices dv ON dv.id = r.device_id "
        "WHERE dv.device = ? ORDER BY seq", (DEV,))]
    check(all(b >= a for a, b in zip(times, times[1:])) and times[-1] - times[0] >= 30,
          "stamped when measured: the times advance through the outage")
    late = net.query("SELECT count(*) FROM readings r JOIN devices dv ON dv.id = r.device_id "
                     "WHERE dv.device = ? AND received_at - measured_at >= 10", (DEV,))[0][0]
    check(late >= 20, f"{late} readings were received long after they were measured")
    gaps = net.query("SELECT count(*) FROM reading_gaps")[0][0]
    check(gaps == 0, "the server saw no gap: late is not lost")
except SystemExit:
    rig.dump()
    raise
finally:
    rig.close()
done("test_node_outage")
