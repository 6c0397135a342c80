"""sonae-ingestd against a real Mosquitto (TLS, password file, %u ACL)
started here with the generated config: provisioning, server levels and
calibration, flags, malformed and hostile payloads, a device writing to
another device's topic, duplicates, a reflashed node, status, rotate."""

import json
import os
import re
import subprocess
import threading
import time

from sonaetest import SCALE, check, done, wait_for
from sensornet import (INGEST_USER, READER_USER, Net, mqtt_client, node_client, pack,
                       publish_all, run, up)

net = Net(tls=True)
try:
    net.start_broker()

    # ---- Provisioning ----
    prov = net.add_device("br-001", "st-akagawa", 5.0)
    net.add_device("br-002", "st-uchikawa", 4.0)
    net.add_device("br-003", "st-fujishima", 3.0)
    r = net.sonae("device", "add", "br-001", "--station", "st-akagawa", "--mount-height", "5")
    check(r.returncode != 0 and "exists" in r.stderr, "adding a device twice is refused")
    r = net.sonae("device", "add", "bad/id", "--station", "st-x", "--mount-height", "5")
    check(r.returncode != 0, "a device id with '/' is refused (it would escape its topic)")
    fp = run(["openssl", "x509", "-in", net.ca, "-noout", "-fingerprint", "-sha256"]).stdout
    fp = fp.strip().split("=", 1)[1]
    check(prov["ca_sha256"] == fp, "the provisioning file carries the CA's SHA-256 fingerprint")
    check(prov["port"] == str(net.tls_port) and prov["host"] == "127.0.0.1",
          "the provisioning file names the broker's TLS host and port")
    check(len(prov["password"]) >= 20 and prov["mount_mm"] == "5000",
          "the provisioning file has a long secret and the mount height")
    with open(os.path.join(net.bdir, "passwd")) as f:
        pw = f.read()
    check(re.search(r"^br-001:\$7\$101\$", pw, re.M) is not None,
          "the broker's password file has br-001 in PBKDF2-SHA512 form")
    check(prov["password"] not in pw, "the secret itself is not in the password file")
    check(os.stat(os.path.join(net.dir, "devices", "br-001.conf")).st_mode & 0o077 == 0,
          "the provisioning file is readable by its owner only")
    net.reload_broker()

    # ---- ingestd over TLS ----
    d = net.start_ingestd()
    check(wait_for(lambda: "connected to the broker" in d.output(), 10),
          "sonae-ingestd connects to the broker over TLS")

    reader = mqtt_client(net, READER_USER, net.secrets[READER_USER], tls=True)
    seen = []
    reader.on_message = lambda c, u, m: seen.append((m.topic, m.payload))
    reader.subscribe("sonae/v1/#", qos=1)
    time.sleep(0.3)

    n1 = node_client(net, "br-001", tls=True)
    n2 = node_client(net, "br-002", tls=True)
    now = int(time.time())
    t0 = now - 3600

    # ---- Levels: server level from dist and the mount height ----
    rs = [{"t": t0 + i * 600, "seq": i, "dist": 1.0 + 0.01 * i, "level": 9.99, "batt": 3.6,
           "rssi": -85, "temp": 12.5} for i in range(4)]
    publish_all(n1, [(up("br-001"), pack("br-001", 1, rs))])
    check(wait_for(lambda: net.count_readings("br-001") == 4, 10), "four readings stored")
    lv = net.query("SELECT o.observed_at, o.value, o.quality FROM observations o JOIN stations s "
                   "ON s.id = o.station_id WHERE s.external_id = 'st-akagawa' AND "
                   "o.quantity = 'water_level_m' ORDER BY o.observed_at")
    check([round(v, 6) for _, v, _ in lv] == [4.0, 3.99, 3.98, 3.97],
          "water_level_m is mount height 5.0 minus dist, not the node's own 9.99")
    diag = net.query("SELECT level_m FROM readings r JOIN devices d ON d.id = r.device_id "
                     "WHERE d.device = 'br-001' ORDER BY seq")
    check(all(abs(x[0] - 9.99) < 1e-9 for x in diag), "the node's level is kept as a diagnostic")
    other = net.query("SELECT quantity, count(*) FROM observations GROUP BY quantity")
    check(dict(other).get("battery_v") == 4 and dict(other).get("rssi_dbm") == 4,
          "battery and signal become observations too")

    # ---- Calibration from a staff-gauge reading ----
    at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t0 + 1800))
    r = net.sonae("device", "calibrate", "br-001", "--reference-level", "4.50", "--at", at)
    check(r.returncode == 0, f"sonae device calibrate runs ({r.stdout.strip()} {r.stderr.strip()})")
    # At t0+1800 the sensor measured 1.03 m, so the mount height is 5.53 m from then on.
    rs = [{"t": t0 + 2400 + 60 * i, "seq": 4 + i, "dist": 1.03} for i in range(2)]
    publish_all(n1, [(up("br-001"), pack("br-001", 1, rs))])
    check(wait_for(lambda: net.count_readings("br-001") == 6, 10), "readings after calibration")
    v = net.query("SELECT value FROM observations o JOIN stations s ON s.id = o.station_id "
                  "WHERE s.external_id = 'st-akagawa' AND o.quantity = 'water_level_m' AND "
                  "observed_at = ?", (t0 + 2400,))
    check(v and abs(v[0][0] - 4.50) < 1e-6, "a reading after the calibration uses it (4.50 m)")
    r = net.sonae("device", "calibrate", "br-001", "--reference-level", "4.5", "--at",
                  "2001-01-01T00:00:00+09:00")
    check(r.returncode != 0 and "no distance" in r.stderr,
          "calibrating at a time without readings is refused with a reason")

    # ---- Quality flags ----
    base = t0 + 3000
    rs = [{"t": base, "seq": 6, "dist": 25.0},          # range
          {"t": base + 60, "seq": 7, "dist": 1.03},
          {"t": base + 120, "seq": 8, "dist": 0.02}]     # range and spike and rate
    publish_all(n1, [(up("br-001"), pack("br-001", 1, rs))])
    fut = now + 3600
    publish_all(n1, [(up("br-001"), pack("br-001", 1, [{"t": fut, "seq": 9, "dist": 1.03}]))])
    check(wait_for(lambda: net.count_readings("br-001") == 10, 10), "flagged readings are kept")
    q = dict(net.query("SELECT seq, quality FROM readings r JOIN devices d ON d.id = r.device_id "
                       "WHERE d.device = 'br-001'"))
    check(q[6] & 1 and q[8] & 1, "distances outside the sensor's range are flagged range")
    check(q[8] & 2 and q[8] & 8, "a jump of 1 m in a minute is flagged spike and rate")
    check(q[7] == 0, "a normal reading has no flags")
    check(q[9] & 16, "a reading an hour in the future is flagged clock")
    rec = net.query("SELECT measured_at, received_at FROM readings r JOIN devices d ON "
                    "d.id = r.device_id WHERE d.device = 'br-001' AND seq = 9")[0]
    check(rec[0] == fut and abs(rec[1] - time.time()) < 120,
          "the future reading keeps its time and its receive time beside it")

    # ---- Malformed, oversized, wrong unit: counted, logged once per streak ----
    bad = [
        "not json",
        "[" + " " * 5000 + "]",
        pack("br-002", 1, [{"t": now, "seq": 0, "dist": 1.2}]).replace('"u":"m"', '"u":"cm"'),
        '[{"bn":"urn:dev:sonae:br-002:","bt":1,"n":"epoch","v":1},{"n":"seq","t":0,"v":-5}]',
        pack("br-001", 1, [{"t": now, "seq": 0, "dist": 1.2}]),   # another device's name
    ]
    publish_all(n2, [(up("br-002"), p) for p in bad])
    good = pack("br-002", 7, [{"t": now - 60, "seq": 0, "dist": 1.2}])
    publish_all(n2, [(up("br-002"), good)])
    publish_all(n1, [(up("br-001"), pack("br-001", 1, [{"t": now - 30, "seq": 10, "dist": 1.0}]))])
    check(wait_for(lambda: net.count_readings("br-002") == 1, 10),
          "after five bad messages the device's next good one is stored")
    check(wait_for(lambda: net.count_readings("br-001") == 11, 10),
          "another device goes on unaffected meanwhile")
    log = d.output()
    check(log.count("device br-002: message dropped") == 1,
          "a streak of bad messages is logged once")
    check("a pack must be a JSON array" in log, "the log line says why")
    check("well-formed again after 5 dropped" in log, "the end of the streak is logged with a count")

    # ---- Duplicates: the same pack twice ----
    publish_all(n2, [(up("br-002"), good)])
    time.sleep(0.5)
    check(net.count_readings("br-002") == 1, "a duplicate pack stores nothing twice")

    # ---- A device writing to another device's topic ----
    seen.clear()
    forged = pack("br-003", 1, [{"t": now, "seq": 0, "dist": 0.5}])
    publish_all(n1, [(up("br-003"), forged)])
    time.sleep(2)
    check(not any(t == up("br-003") for t, _ in seen),
          "a subscriber with full read access never sees br-001's write to br-003's topic (2 s)")
    check(net.count_readings("br-003") == 0, "the forged reading is absent from the store")
    r = run(["mosquitto_pub", "-d", "-V", "5", "-h", "127.0.0.1", "-p", str(net.tls_port),
             "--cafile", net.ca, "-u", "br-001", "-P", prov["password"], "-q", "1",
             "-t", up("br-003"), "-m", forged])
    check("RC:135" in r.stdout, "an MQTT v5 client gets reason code 135 (not authorized)")
    p2 = net.provisioning("br-002")["password"]

    def sub_down(user, password, dev):
        return run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(net.tls_port), "--cafile",
                    net.ca, "-u", user, "-P", password, "-t", f"sonae/v1/nodes/{dev}/down",
                    "-C", "1", "-W", "2"])
    r = sub_down("br-002", p2, "br-002")
    check(r.returncode == 0 and r.stdout.strip() == "{}",
          "a device reads its own retained down (ingestd wrote it: no resend asked)")
    r = sub_down("br-001", prov["password"], "br-002")
    check(r.stdout.strip() == "", "a device never receives another device's down")
    r = run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(net.tls_port), "--cafile", net.ca,
             "-u", "br-001", "-P", "wrong", "-q", "1", "-t", up("br-001"), "-m", "x"])
    check(r.returncode != 0, "a wrong password is refused")

    # ---- A reflashed node: new epoch, seq from 0 ----
    before = net.count_readings("br-001")
    rs = [{"t": now - 20 + i, "seq": i, "dist": 1.0} for i in range(3)]
    publish_all(n1, [(up("br-001"), pack("br-001", 2, rs))])
    check(wait_for(lambda: net.count_readings("br-001") == before + 3, 10),
          "a reflashed node's readings (epoch 2, seq from 0) are all stored")
    gaps = net.query("SELECT count(*) FROM reading_gaps WHERE closed_at IS NULL")[0][0]
    check(gaps == 0, "a reflash opens no gap")

    # ---- Status ----
    publish_all(n2, [("sonae/v1/nodes/br-002/status",
                      '{"state":"online","fw":"0.3.1","uptime_s":10,"batt_v":3.71,'
                      '"rssi_dbm":-77,"queue":0,"time_valid":true}')])
    check(wait_for(lambda: net.query("SELECT fw FROM devices WHERE device='br-002'")[0][0] ==
                   "0.3.1", 10), "a status message records the firmware version")
    lst = net.sonae("device", "list")
    row = [l for l in lst.stdout.splitlines() if l.startswith("br-002\t")]
    check(row and "\tonline\t" in row[0] and "\t3.71\t" in row[0],
          "sonae device list shows health and battery")

    # ---- Settings in the retained down, kept beside a resend request ----
    r = net.sonae("device", "set", "br-002", "--measure-s", "300", "--start-level", "1.5")
    check(r.returncode == 0, f"sonae device set --measure-s --start-level ({r.stderr.strip()})")
    dn = json.loads(sub_down("br-002", p2, "br-002").stdout or "{}")
    check(dn.get("measure_s") == 300 and dn.get("start_level_m") == 1.5,
          f"the node reads its new settings on its retained down ({dn})")
    r = net.sonae("device", "set", "br-002", "--measure-s", "30")
    check(r.returncode != 0 and "60..3600" in r.stderr,
          "a setting out of the node's range is refused before it reaches the node")
    time.sleep(0.5)
    publish_all(n2, [(up("br-002"), pack("br-002", 7, [{"t": now - 5, "seq": 10, "dist": 1.2}]))])
    check(wait_for(lambda: "resend" in sub_down("br-002", p2, "br-002").stdout, 10),
          "a gap in br-002's seq asks for a resend")
    dn = json.loads(sub_down("br-002", p2, "br-002").stdout)
    check(dn.get("measure_s") == 300 and dn["resend"]["from"] == 1 and dn["resend"]["to"] == 9,
          f"the resend request keeps the settings beside it ({dn})")

    # ---- set and rotate ----
    r = net.sonae("device", "set", "br-003", "--enabled", "no")
    check(r.returncode == 0, "sonae device set --enabled no")
    n3 = node_client(net, "br-003", tls=True)
    old = net.provisioning("br-003")["password"]
    r = net.sonae("device", "rotate", "br-003")
    check(r.returncode == 0, "sonae device rotate")
    new = net.provisioning("br-003")["password"]
    check(new != old, "rotate writes a new secret into the provisioning file")
    net.reload_broker()
    r = run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(net.tls_port), "--cafile", net.ca,
             "-u", "br-003", "-P", old, "-q", "1", "-t", up("br-003"), "-m", "x"])
    check(r.returncode != 0, "the old secret is refused after rotate and a broker reload")
    r = run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(net.tls_port), "--cafile", net.ca,
             "-u", "br-003", "-P", new, "-q", "1", "-t", up("br-003"), "-m",
             pack("br-003", 1, [{"t": now, "seq": 0, "dist": 1.0}])])
    check(r.returncode == 0, "the new secret is accepted")
    time.sleep(0.5)
    check(net.count_readings("br-003") == 0, "a disabled device's readings are not stored")
    check("the device is disabled" in d.output(), "and the log says why")

    for c in (reader, n1, n2, n3):
        c.loop_stop()
        c.disconnect()
    out = net.stop_ingestd()
    check("stopped" in out, "sonae-ingestd stops cleanly on SIGTERM")
    m = re.search(r"(\d+) malformed", out.splitlines()[-2] if len(out.splitlines()) > 1 else "")
    check(m is not None and int(m.group(1)) >= 6, "the malformed messages were counted")

    # ---- Store trouble: the store locked by another writer past ingestd's
    # busy timeout (10 s).  ingestd holds the message in on_message, so it is
    # not acknowledged: killed meanwhile, it gets it again on its next start.
    import sqlite3
    d = net.start_ingestd()
    check(wait_for(lambda: "connected to the broker" in d.output(), 10), "ingestd started again")
    n2 = node_client(net, "br-002", tls=True)
    lock = sqlite3.connect(net.db, timeout=10, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    before = net.count_readings("br-002")
    rs = [{"t": now - 10 + i, "seq": 1 + i, "dist": 1.2} for i in range(3)]
    publish_all(n2, [(up("br-002"), pack("br-002", 7, [r])) for r in rs])
    check(wait_for(lambda: "store trouble, holding messages" in d.output(), 20),
          "a store locked past the busy timeout is logged as trouble")
    check(net.count_readings("br-002") == before, "nothing is stored while it is locked")
    net.kill_ingestd()
    lock.execute("ROLLBACK")
    lock.close()
    d = net.start_ingestd()
    check(wait_for(lambda: net.count_readings("br-002") == before + 3, 15),
          "killed while holding them, ingestd gets every held message again and stores it")
    n2.loop_stop()
    n2.disconnect()
    net.stop_ingestd()
finally:
    net.close()
done("test_ingest_mqtt")
