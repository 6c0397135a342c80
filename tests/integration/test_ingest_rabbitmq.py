"""sonae-ingestd against RabbitMQ's MQTT plugin (Debian's rabbitmq-server,
MQTT 3.1.1) instead of Mosquitto, on a private node started here on
loopback (tests/lib/rabbitserver.py):

- readings stored, a gap asked for in the node's retained down, which a
  subscriber coming later receives from the node's retained store;
- the broker killed with SIGKILL mid-stream and started again: the nodes
  re-send what the broker never acknowledged (as the firmware keeps its
  queue until the PUBACK), sonae-ingestd's durable session queue hands over
  what was acknowledged but not yet stored, and every reading is stored
  exactly once;
- two partitioned instances (0 and 1 of 2) on the same node: every reading
  once, each instance its own devices.

Bad inputs tried: a broker crash with messages in flight both ways, and
publishes the broker never acknowledged."""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rabbitserver import RabbitServer  # noqa: E402
from sensornet import Net, down, instance_of, mqtt_client, pack, up  # noqa: E402
from sonaetest import REDUCED, SCALE, check, done, stop_showing_why, wait_for  # noqa: E402

DEVICES = [f"rb-{i:02d}" for i in range(6)]
PER_PACK = 3
T0 = int(time.time()) - 3 * 86400
STREAM = 200 if REDUCED else 400  # packs published while the broker is killed

seqs = {d: 0 for d in DEVICES}
inst = {}


def next_pack(d):
    s = seqs[d]
    rs = [{"t": T0 + 60 * (s + j), "seq": s + j, "dist": 1.0 + 0.001 * ((s + j) % 40),
           "batt": 3.6} for j in range(PER_PACK)]
    seqs[d] = s + PER_PACK
    return (up(d), pack(d, 1, rs))


def connect_nodes(net, rs):
    return {d: mqtt_client(net, rs.env()["SONAE_RABBIT_USER"], rs.password,
                           client_id=f"node-{d}") for d in DEVICES}


def close_nodes(nodes):
    for c in nodes.values():
        c.loop_stop()
        try:
            c.disconnect()
        except Exception:
            pass


def acked(info):
    """Whether the broker acknowledged the publish (paho raises for one
    that could not be sent at all: not acknowledged either)."""
    try:
        return info.is_published()
    except (RuntimeError, ValueError):
        return False


def publish_wait(nodes, items, timeout=60):
    infos = [nodes[t.split("/")[3]].publish(t, p, qos=1) for t, p in items]
    end = time.monotonic() + timeout * SCALE
    while time.monotonic() < end and not all(acked(i) for i in infos):
        time.sleep(0.01)
    return all(acked(i) for i in infos)


with RabbitServer() as rs:
    net = Net(tls=False, broker=(rs.mqtt_port, "sonae", rs.password))
    nodes = {}
    try:
        for i, d in enumerate(DEVICES):
            net.add_device(d, f"st-{d}", 5.0, lon=139.8 + 0.01 * i)
        single = net.start_ingestd()
        check(wait_for(lambda: "connected to the broker" in single.output(), 20),
              "sonae-ingestd connects to RabbitMQ's MQTT plugin (3.1.1)")
        time.sleep(0.5)
        nodes = connect_nodes(net, rs)

        # ---- Readings stored ----
        check(publish_wait(nodes, [next_pack(d) for d in DEVICES for _ in range(3)]),
              "RabbitMQ acknowledges the nodes' QoS 1 publishes")
        n = len(DEVICES) * 3 * PER_PACK
        check(wait_for(lambda: net.count_readings() == n, 20),
              f"{n} readings stored through RabbitMQ ({net.count_readings()})")

        # ---- A gap: the resend request in the retained down ----
        d0 = DEVICES[0]
        live = []
        early = mqtt_client(net, "sonae", rs.password, client_id="early-reader")
        early.on_message = lambda c, u, m: live.append(m.payload.decode())
        early.subscribe(down(d0), qos=1)
        time.sleep(0.3)
        seqs[d0] += 5  # five readings never sent
        check(publish_wait(nodes, [next_pack(d0)]), "a pack after a gap")
        n += PER_PACK
        check(wait_for(lambda: net.count_readings() == n, 20), "stored, the gap opened")
        check(wait_for(lambda: any('"resend"' in p for p in live), 15),
              "sonae-ingestd publishes the resend request in the node's down")
        early.loop_stop()
        early.disconnect()
        got = []
        late = mqtt_client(net, "sonae", rs.password, client_id="late-reader")
        late.on_message = lambda c, u, m: got.append((m.topic, m.payload.decode(), m.retain))
        late.subscribe(down(d0), qos=1)
        check(wait_for(lambda: any('"resend"' in p and r for _, p, r in got), 15),
              "a subscriber arriving later gets it from the retained store, marked retained")
        late.loop_stop()
        late.disconnect()

        # ---- The broker killed mid-stream ----
        stream = [next_pack(DEVICES[k % len(DEVICES)]) for k in range(STREAM)]
        infos = []

        def publisher():
            for t, p in stream:
                c = nodes[t.split("/")[3]]
                infos.append((t, p, c.publish(t, p, qos=1)))
                time.sleep(0.002)

        # sonae-ingestd paused, so that the broker holds a backlog it has
        # acknowledged to the nodes but not yet delivered when it dies.
        single.signal(signal.SIGSTOP)
        th = threading.Thread(target=publisher)
        th.start()
        check(wait_for(lambda: sum(1 for _, _, i in infos if acked(i)) >= STREAM // 4, 30),
              "the broker acknowledges a backlog for the paused sonae-ingestd")
        rs.kill()
        th.join()
        single.signal(signal.SIGCONT)
        n_acked = sum(1 for _, _, i in infos if acked(i))
        stored_at_kill = net.count_readings() - n
        check(n_acked < STREAM and stored_at_kill < n_acked * PER_PACK,
              f"killed mid-stream: {n_acked} of {STREAM} packs acknowledged, "
              f"{stored_at_kill} readings stored")
        close_nodes(nodes)
        # Unacknowledged publishes are what a node keeps and sends again.
        resend = [(t, p) for t, p, i in infos if not acked(i)]
        rs.start()
        nodes = connect_nodes(net, rs)
        check(publish_wait(nodes, resend, 90),
              f"after the restart the nodes re-send the {len(resend)} unacknowledged packs")
        n += STREAM * PER_PACK
        check(wait_for(lambda: net.count_readings() == n, 60),
              f"all {n} readings stored after the crash ({net.count_readings()})")
        check(net.query("SELECT count(DISTINCT device_id || '/' || epoch || '/' || seq) "
                        "FROM readings")[0][0] == n, "each reading exactly once")
        check(net.query("SELECT count(*) FROM observations WHERE quantity = 'water_level_m'")[0][0]
              == n, "each water level once")
        log = single.output()
        check("disconnected from the broker" in log and log.count("connected to the broker") >= 2,
              "sonae-ingestd lost the broker and reconnected by itself")

        # ---- Two partitioned instances ----
        net.stop_ingestd()
        for i in range(2):
            inst[i] = net.start_instance(i, 2)
        for i in range(2):
            check(wait_for(lambda: "connected to the broker" in inst[i].output(), 20),
                  f"instance {i} of 2 connects to RabbitMQ")
        time.sleep(1.0)
        check(publish_wait(nodes, [next_pack(d) for d in DEVICES for _ in range(4)]),
              "a round of packs from every device")
        n += len(DEVICES) * 4 * PER_PACK
        check(wait_for(lambda: net.count_readings() == n, 30),
              f"all {n} readings stored by the two instances")
        check(net.query("SELECT count(DISTINCT device_id || '/' || epoch || '/' || seq) "
                        "FROM readings")[0][0] == n, "no reading twice")
        for i in range(2):
            inst[i].signal(signal.SIGTERM)
            inst[i].wait(10)
            log = inst[i].output()
            mine = [d for d in DEVICES if instance_of(d, 2) == i]
            want = f"{len(mine) * 4 * PER_PACK} readings stored, 0 duplicates"
            check(want in log, f"instance {i} stored its {len(mine)} devices' readings only "
                               f"({want})")
    finally:
        close_nodes(nodes)
        for dm in inst.values():
            stop_showing_why(dm)
        net.close()
done("test_ingest_rabbitmq")
