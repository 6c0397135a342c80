"""Exactly once across crashes: 100,000 readings (20,000 under sanitizers)
from ten nodes through a real Mosquitto, sonae-ingestd killed with SIGKILL
three times while at least 1,000 messages are in flight to it, and the
broker restarted cleanly mid-stream.  Every reading must be in the store
exactly once, with its observation.

To be sure of the backlog at each kill, ingestd is paused (SIGSTOP) while a
share of the messages is published, then resumed and killed once it is
committing again: the messages queued for its persistent session and those
in flight to it at that moment are what the test is about."""

import signal
import time

from sonaetest import REDUCED, SCALE, check, done, wait_for
from sensornet import Net, mqtt_client, pack, up

N = 20000 if REDUCED else 100000
DEVICES = 10
PER_MSG = 2
MSGS = N // PER_MSG

net = Net(tls=False)
clients = {}
seq = {}
published = 0
T0 = int(time.time()) - 7 * 86400


def connect_all():
    for c in clients.values():
        c.loop_stop()
        c.disconnect()
    clients.clear()
    for i in range(DEVICES):
        dev = f"n{i:02d}"
        prov = net.provisioning(dev)
        clients[dev] = mqtt_client(net, dev, prov["password"], client_id=f"node-{dev}")


def publish(nmsgs):
    """Publishes nmsgs packs round-robin over the nodes; waits for PUBACKs."""
    global published
    infos = []
    for k in range(nmsgs):
        dev = f"n{k % DEVICES:02d}"
        s = seq.get(dev, 0)
        rs = [{"t": T0 + 60 * (s + j), "seq": s + j, "dist": 1.0 + ((s + j) % 50) * 0.001,
               "batt": 3.6} for j in range(PER_MSG)]
        seq[dev] = s + PER_MSG
        infos.append(clients[dev].publish(up(dev), pack(dev, 1, rs), qos=1))
    end = time.monotonic() + 120 * SCALE
    for i in infos:
        while not i.is_published() and time.monotonic() < end:
            time.sleep(0.002)
    check(all(i.is_published() for i in infos), f"the broker acknowledged {nmsgs} publishes")
    published += nmsgs


def stored():
    return net.count_readings()


try:
    net.start_broker()
    for i in range(DEVICES):
        net.add_device(f"n{i:02d}", f"st-{i:02d}", 5.0, interval=60)
    net.reload_broker()
    d = net.start_ingestd()
    check(wait_for(lambda: "connected to the broker" in d.output(), 10), "ingestd connected")
    connect_all()

    share = MSGS // 5
    started = time.monotonic()
    for kill in range(3):
        d.signal(signal.SIGSTOP)
        publish(share)
        d.signal(signal.SIGCONT)
        base = stored()
        wait_for(lambda: stored() >= base + 200, 20)
        backlog = published - stored() // PER_MSG
        d.proc.kill()
        d.proc.wait()
        check(backlog >= 1000, f"SIGKILL {kill + 1} with {backlog} messages in flight (>= 1000)")
        net.ingestd.stop()
        d = net.start_ingestd()

    # A clean broker restart in the middle of the stream.
    publish(share)
    net.stop_broker(signal.SIGTERM)
    net.start_broker()
    connect_all()
    publish(MSGS - published)
    check(wait_for(lambda: stored() == N, 120), f"all {N} readings stored ({stored()})")
    elapsed = time.monotonic() - started
    time.sleep(0.5)
    check(stored() == N, "and no more: nothing stored twice")

    per_dev = net.query("SELECT d.device, count(*), count(DISTINCT seq), min(seq), max(seq) "
                        "FROM readings r JOIN devices d ON d.id = r.device_id GROUP BY d.device")
    want = N // DEVICES
    check(len(per_dev) == DEVICES and all(c == want and dc == want and lo == 0 and hi == want - 1
                                          for _, c, dc, lo, hi in per_dev),
          f"every node has seq 0..{want - 1}, each exactly once")
    obs = net.query("SELECT count(*) FROM observations WHERE quantity = 'water_level_m'")[0][0]
    check(obs == N, "every reading has its water_level_m observation, once")
    gaps = net.query("SELECT count(*) FROM reading_gaps")[0][0]
    check(gaps == 0, "no gap was ever seen: nothing was lost on the way")
    out = net.stop_ingestd()
    print(f"{N} readings, {MSGS} messages in {elapsed:.1f} s with 3 kills and a broker restart")
finally:
    for c in clients.values():
        c.loop_stop()
    net.close()
done("test_ingest_crash")
