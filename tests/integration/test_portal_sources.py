"""The staff health views of the dashboard against a real sonae-portald:
GET /api/v1/sources (each source's state, last success and last error)
and GET /api/v1/devices (sensor nodes: health, battery, signal, open
gaps).  Both need a staff session or a display token."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal, write_conf  # noqa: E402
from sonaetest import BUILD, SCALE, check, done, exe, tmpdir  # noqa: E402

SEED = os.path.join(BUILD, "tests", "portal-seed")
SONAE = exe("sonae")


def run(*args, stdin=""):
    r = subprocess.run([*map(str, args)], input=stdin, capture_output=True, text=True,
                       timeout=60 * SCALE)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r.stdout


d = tmpdir("sonae-portal-sources-")
db = os.path.join(d, "sonae.db")
conf = write_conf(d, 0)
run(SONAE, "-c", conf, "db", "migrate")
run(SONAE, "-c", conf, "db", "seed")
run(SEED, db, "source", "kriver", "ok")
run(SEED, db, "source", "jma", "failing", "HTTP 503")
run(SEED, db, "device", "node-01", "sensor-200", "online", "3.05", "-101", "2")
run(SEED, db, "device", "node-02", "sensor-201", "offline", "3.9", "-80", "0")
run(SONAE, "-c", conf, "user", "add", "view1", "--role", "viewer", stdin="etsuran-pass-01\n")

p = Portal(d)
try:
    st, _, _ = p.get("/api/v1/sources")
    check(st == 401, "sources without login: 401")
    st, _, _ = p.get("/api/v1/devices")
    check(st == 401, "devices without login: 401")
    st, hd, _ = p.get("/api/v1/auth/login", {"Content-Type": "application/json"}, method="POST",
                      body=json.dumps({"name": "view1", "password": "etsuran-pass-01"}).encode())
    cookie = {"Cookie": hd.get("set-cookie", "").split(";")[0]}
    check(st == 200, "viewer logs in")

    st, hd, body = p.get("/api/v1/sources", cookie)
    js = json.loads(body)
    by = {s["name"]: s for s in js["sources"]}
    check(st == 200 and "no-store" in hd.get("cache-control", ""), "sources: 200, not cached")
    check(by["kriver"]["state"] == "ok" and by["kriver"]["last_ok_at"].endswith("+09:00")
          and by["kriver"]["last_error"] is None, f"kriver ok with its last success: {by['kriver']}")
    check(by["jma"]["state"] == "failing" and by["jma"]["last_ok_at"] is None
          and by["jma"]["last_error"] == "HTTP 503", f"jma failing, never ok: {by['jma']}")
    check(js["now"].endswith("+09:00"), "the server's clock is given for ages")

    st, _, body = p.get("/api/v1/devices", cookie)
    devs = {x["device"]: x for x in json.loads(body)["devices"]}
    n1, n2 = devs.get("node-01"), devs.get("node-02")
    check(st == 200 and n1 and n2, "devices: both nodes listed")
    check(n1["health"] == "online" and abs(n1["batt_v"] - 3.05) < 1e-9 and n1["rssi_dbm"] == -101
          and n1["open_gaps"] == 2 and n1["missing_readings"] == 6 and n1["station_id"],
          f"node-01: online, battery, signal, two open gaps of 3 readings: {n1}")
    check(n2["health"] == "offline" and n2["open_gaps"] == 0, f"node-02 offline: {n2}")
    check(n1["last_seen_at"].endswith("+09:00"), f"last seen in JST: {n1['last_seen_at']}")
    st, hd, body = p.get("/api/v1/areas")
    js = json.loads(body)
    codes = {f["id"]: f for f in js["features"]}
    check(st == 200 and "public" in hd.get("cache-control", ""), "areas: public")
    tsuruoka = codes.get("0620300")
    check(tsuruoka and tsuruoka["geometry"]["type"] in ("Polygon", "MultiPolygon")
          and tsuruoka["properties"]["area_name"] == "鶴岡市"
          and len(tsuruoka["geometry"]["coordinates"][0]) >= 4, "areas: 鶴岡市 with its boundary")
finally:
    p.daemon.stop()
done("portal-sources")
