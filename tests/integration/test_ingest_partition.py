"""Several sonae-ingestd instances sharing the devices ([mqtt]
instance_index, instance_count): three instances (0, 1 and 2 of 3) on one
SpatiaLite store and one real Mosquitto, a dozen nodes publishing SenML.
Every reading is stored exactly once, each device's readings by its own
instance only (by the instances' own counts and logs, and by killing
instance 1: only its devices stop, and its persistent session hands it
what it missed when it comes back).  Bad partitioning configs (index 3
of 3, count 0, a negative index) are refused with a message naming the
keys, and nothing is started."""

import os
import signal
import subprocess
import time

from sonaetest import SCALE, check, done, exe, stop_showing_why, wait_for
from sensornet import Net, instance_of, node_client, pack, publish_all, up

COUNT = 3
DEVICES = [f"pt-{i:02d}" for i in range(12)]
PER_PACK = 4
PACKS = 5
T0 = int(time.time()) - 86400

net = Net(tls=False)
inst = {}
clients = {}
seqs = {d: 0 for d in DEVICES}


def owners(i):
    return [d for d in DEVICES if instance_of(d, COUNT) == i]


def publish_round(devs):
    """One pack of PER_PACK readings from each of devs."""
    for d in devs:
        s = seqs[d]
        rs = [{"t": T0 + 60 * (s + j), "seq": s + j, "dist": 1.0 + 0.001 * ((s + j) % 40),
               "batt": 3.6} for j in range(PER_PACK)]
        seqs[d] = s + PER_PACK
        publish_all(clients[d], [(up(d), pack(d, 1, rs))])


def per_device():
    return dict(net.query("SELECT d.device, count(*) FROM readings r JOIN devices d "
                          "ON d.id = r.device_id GROUP BY d.device"))


def final_counts(log):
    """The (readings stored, duplicates, for other instances) of a stopped
    instance's last statistics line."""
    for line in reversed(log.splitlines()):
        if "readings stored" in line and "for other instances" in line:
            w = line.replace(",", "").split()
            return (int(w[w.index("readings") - 1]), int(w[w.index("duplicates") - 1]),
                    int(w[w.index("for") - 1]))
    return None


try:
    # ---- Bad partitioning: refused before anything starts ----
    # Tried: index 3 of 3 (an index must be below the count), a count of 0,
    # and a negative index.  Each must fail `-n` naming the key.
    bad = [("instance_index = 3\ninstance_count = 3\n",
            "instance_index = 3 must be below instance_count = 3"),
           ("instance_index = 0\ninstance_count = 0\n", "[mqtt] instance_count: 0 is out of bounds"),
           ("instance_index = -1\ninstance_count = 3\n",
            "[mqtt] instance_index: -1 is out of bounds")]
    for k, (lines, msg) in enumerate(bad):
        path = os.path.join(net.dir, f"bad-{k}.conf")
        with open(net.config) as f:
            text = f.read().replace("[mqtt]\n", "[mqtt]\n" + lines, 1)
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([exe("sonae-ingestd"), "-n", "-c", path], capture_output=True,
                           text=True, timeout=30 * SCALE)
        check(r.returncode != 0 and msg in r.stderr,
              f"sonae-ingestd -n refuses {lines.strip()!r}: {msg}")
        r = subprocess.run([exe("sonae-ingestd"), "-c", path], capture_output=True, text=True,
                           timeout=30 * SCALE)
        check(r.returncode != 0 and msg in r.stderr and "connected" not in r.stderr,
              f"sonae-ingestd does not start with {lines.strip()!r}")
    r = subprocess.run([exe("sonae-ingestd"), "-n", "-c", net.instance_config(2, 3)],
                       capture_output=True, text=True, timeout=30 * SCALE)
    check(r.returncode == 0 and "configuration OK" in r.stdout + r.stderr,
          "instance 2 of 3 is a valid configuration")

    check(all(owners(i) for i in range(COUNT)),
          f"every instance owns some of the twelve devices "
          f"({[len(owners(i)) for i in range(COUNT)]})")

    net.start_broker()
    for i, d in enumerate(DEVICES):
        net.add_device(d, f"st-{d}", 5.0, lon=139.8 + 0.01 * i)
    net.reload_broker()
    for i in range(COUNT):
        inst[i] = net.start_instance(i, COUNT)
    for i in range(COUNT):
        check(wait_for(lambda: "connected to the broker" in inst[i].output(), 15),
              f"instance {i} connects")
        check(f"instance {i} of {COUNT}" in inst[i].output(), f"instance {i} says which it is")
    time.sleep(0.5)  # subscriptions in place
    for d in DEVICES:
        clients[d] = node_client(net, d)

    # ---- Every reading once, each by its own instance ----
    for _ in range(PACKS):
        publish_round(DEVICES)
    total = len(DEVICES) * PACKS * PER_PACK
    check(wait_for(lambda: net.count_readings() == total, 30),
          f"all {total} readings stored ({net.count_readings()})")
    check(net.query("SELECT count(DISTINCT device_id || '/' || epoch || '/' || seq) "
                    "FROM readings")[0][0] == total, "each reading exactly once")
    obs = dict(net.query("SELECT s.external_id, count(*) FROM observations o JOIN stations s "
                         "ON s.id = o.station_id WHERE o.quantity = 'water_level_m' "
                         "GROUP BY s.external_id"))
    check(all(obs.get(f"st-{d}") == PACKS * PER_PACK for d in DEVICES),
          "each station has each water level once")
    for i in range(COUNT):
        log = inst[i].output()
        # Had two instances one client id, the broker would throw one off
        # for the other, again and again.
        check("disconnected from the broker" not in log,
              f"instance {i} kept its own session (never thrown off the broker)")
        mine = [d for d in DEVICES if f"device {d}: online" in log]
        check(sorted(mine) == sorted(owners(i)),
              f"instance {i}'s log names its own devices only ({len(mine)})")

    # ---- Instance 1 killed: only its devices stop ----
    inst[1].proc.kill()
    inst[1].proc.wait()
    before = per_device()
    publish_round(DEVICES)
    others = [d for d in DEVICES if instance_of(d, COUNT) != 1]
    check(wait_for(lambda: all(per_device().get(d) == before[d] + PER_PACK for d in others), 20),
          "with instance 1 killed, instances 0 and 2 store their devices' new readings")
    time.sleep(1.0 * SCALE)
    now = per_device()
    check(all(now[d] == before[d] for d in owners(1)),
          f"instance 1's devices ({len(owners(1))}) stop: nobody else stores them")
    inst[1].stop()
    inst[1] = net.start_instance(1, COUNT)
    total += len(DEVICES) * PER_PACK
    check(wait_for(lambda: net.count_readings() == total, 30),
          "restarted, instance 1 gets what its persistent session kept, and all are stored")

    # ---- The instances' own counts ----
    logs = {}
    for i in range(COUNT):
        inst[i].signal(signal.SIGTERM)
        inst[i].wait(10)
        logs[i] = inst[i].output()
    counts = {i: final_counts(logs[i]) for i in range(COUNT)}
    check(all(counts[i] for i in range(COUNT)), f"every instance logs its counts {counts}")
    per = per_device()
    for i in (0, 2):
        mine = sum(per[d] for d in owners(i))
        check(counts[i][0] == mine and counts[i][1] == 0,
              f"instance {i} stored {counts[i][0]} readings, its devices' {mine}, no duplicates")
        n_other = len([d for d in DEVICES if instance_of(d, COUNT) != i])
        check(counts[i][2] == n_other * (PACKS + 1),
              f"instance {i} ignored the {n_other * (PACKS + 1)} packs of the others' devices")
    check(counts[1][0] == len(owners(1)) * PER_PACK,
          "the restarted instance 1 stored only its own devices' missed packs")
    check(all(f"device {d}: online" not in logs[1] for d in others),
          "instance 1's log never names another instance's device online")
finally:
    for c in clients.values():
        c.loop_stop()
        c.disconnect()
    for dm in inst.values():
        stop_showing_why(dm)
    net.close()
done("test_ingest_partition")
