"""The store-backed endpoints against a real SpatiaLite store seeded from the
real 危機管理型水位計 snapshots: stations (GeoJSON, the contract's
properties), one station, observations as JSON and CSV, caching and its
invalidation by store events, OGC API collections over stations, the SSE
stream (1,000 events written while disconnected arrive after reconnect, in
order, without duplicates).  The hostile table runs in test_portal_hostile."""

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import SSE, Portal  # noqa: E402
from sonaetest import BUILD, FIXTURES, REDUCED, SCALE, check, done, rmtree, tmpdir, wait_for  # noqa: E402

SEED = os.path.join(BUILD, "tests", "portal-seed")
SNAP = os.path.join(FIXTURES, "river", "k_river_crisis_gauges")
# 2025-11-01 first: it holds the 10 gauges of 鶴岡市 the test looks at.
SNAPSHOTS = [os.path.join(SNAP, f) for f in ["snapshot_2025-11-01-07JST.json", "snapshot_2026-06-03-05JST.json",
                                             "snapshot_2026-07-26-17JST.json"]]
N_STATIONS = 1000  # also in the reduced run: about a second under ASan
JST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")
PROPS = {"id", "kind", "source", "name", "river", "value", "unit", "observed_at", "level", "state",
         "rate_m_per_h", "exercise", "thresholds"}
THRESHOLDS = {"standby", "caution", "evacuation", "danger", "flood", "start"}
STATES = {"ok", "below_start", "watch", "stale", "offline", "unknown"}


def seed(*args):
    r = subprocess.run([SEED, *args], capture_output=True, text=True, timeout=120 * SCALE)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return int(r.stdout.split()[1])


def valid_feature(f):
    """RFC 7946 Point Feature with the contract's station properties."""
    g = f.get("geometry") or {}
    c = g.get("coordinates")
    p = f.get("properties") or {}
    return (f.get("type") == "Feature" and g.get("type") == "Point" and isinstance(c, list) and len(c) == 2
            and -180 <= c[0] <= 180 and -90 <= c[1] <= 90 and set(p) == PROPS
            and set(p["thresholds"]) == THRESHOLDS and p["state"] in STATES
            and (p["level"] is None or 1 <= p["level"] <= 5)
            and (p["observed_at"] is None or JST.match(p["observed_at"]))
            and f.get("id") == p["id"])


d = tmpdir("sonae-portal-store-")
db = os.path.join(d, "sonae.db")
n = seed(db, "stations", str(N_STATIONS), *SNAPSHOTS)
snap = {}
for f in SNAPSHOTS:
    for it in json.load(open(f, encoding="utf-8"))["items"]:
        snap.setdefault(it["code"], it)
p = Portal(d, extra="[portal]\nevents_without_auth = true\n")
try:
    check(n == N_STATIONS, f"{n} real gauges seeded")

    # --- stations ---
    st, h, body = p.get("/api/v1/stations")
    fc = json.loads(body)
    check(st == 200 and h["content-type"] == "application/geo+json", "stations is GeoJSON")
    check(fc["type"] == "FeatureCollection" and len(fc["features"]) == n, f"all {n} stations listed")
    bad = [f for f in fc["features"] if not valid_feature(f)]
    check(not bad, f"every feature is RFC 7946 with the contract's properties ({bad[:1]})")
    check("public, max-age=30" == h.get("cache-control") and h.get("etag"), "stations: ETag, max-age 30")
    # Values match the fixture: a 鶴岡市 gauge, by name and reading.
    by_name = {f["properties"]["name"]: f for f in fc["features"]}
    ts = [it for it in snap.values() if it["townCode"] == "06203" and it["name"] in by_name]
    check(len(ts) > 0, f"{len(ts)} gauges of 鶴岡市 among them")
    g = ts[0]
    f = by_name[g["name"]]
    check(abs(f["properties"]["value"] - g["level"]) < 1e-9, f"{g['name']}: value {g['level']} as in the fixture")
    check(f["properties"]["observed_at"] == g["obsTime"], "observed_at in +09:00 as the fixture's obsTime")
    check(f["geometry"]["coordinates"] == [g["longitude"], g["latitude"]], "coordinates lon, lat")
    fl = g.get("fladLevel")
    check(fl is None or f["properties"]["thresholds"]["flood"] == fl, "氾濫開始水位 as thresholds.flood")
    check(f["properties"]["state"] == "stale", "a reading months old is stale, never ok")
    st, h, body = p.get("/api/v1/stations?bbox=139.5,38.4,140.1,38.9")
    inside = json.loads(body)["features"]
    check(0 < len(inside) < n and all(139.5 <= x["geometry"]["coordinates"][0] <= 140.1 for x in inside),
          f"bbox around 鶴岡 gives {len(inside)} stations")
    st, h, body = p.get("/api/v1/stations?kind=camera")
    check(st == 200 and json.loads(body)["features"] == [], "kind=camera: none yet")
    st, h, gz = p.get("/api/v1/stations", {"Accept-Encoding": "gzip"})
    check(h.get("content-encoding") == "gzip" and json.loads(gzip.decompress(gz)) == fc, "stations gzipped")
    check(len(gz) < len(body if False else json.dumps(fc).encode()) / 3, "and much smaller")
    st, h2, _ = p.get("/api/v1/stations", {"If-None-Match": h.get("etag")})
    check(st == 304, "If-None-Match on stations: 304")

    # --- one station ---
    sid = f["properties"]["id"]
    st, h, body = p.get(f"/api/v1/stations/{sid}")
    check(st == 200 and json.loads(body) == f, "stations/{id} is the same feature")
    for bad_id in ["999999", "0", "abc", "-1"]:
        st, _, _ = p.get(f"/api/v1/stations/{bad_id}")
        check(st == 404, f"stations/{bad_id}: 404")

    # --- observations: a series written now ---
    code = g["code"]
    t0 = 1782000000  # 2026-06-21T00:00:00Z
    count = 144
    seed(db, "series", code, str(count), str(t0), "600")
    frm, to = "2026-06-21T09:00:00+09:00", "2026-06-22T09:00:00+09:00"
    st, h, body = p.get(f"/api/v1/stations/{sid}/observations?from={frm}&to={to}".replace("+", "%2B"))
    j = json.loads(body)
    obs = j["observations"]
    check(st == 200 and j["quantity"] == "water_level_m" and j["unit"] == "m", "observations JSON")
    check(len(obs) == count and obs[0]["observed_at"] == "2026-06-21T09:00:00+09:00"
          and obs[-1]["observed_at"] == "2026-06-22T08:50:00+09:00", f"{count} readings, first and last in +09:00")
    check(all(JST.match(o["observed_at"]) for o in obs), "every time is +09:00")
    st, h, csv = p.get(f"/api/v1/stations/{sid}/observations?from={frm}&to={to}".replace("+", "%2B"),
                       {"Accept": "text/csv"})
    lines = csv.decode().split("\r\n")
    check(st == 200 and h["content-type"] == "text/csv; charset=utf-8", "Accept: text/csv gives CSV")
    check(lines[0] == "observed_at,water_level_m,quality" and len([x for x in lines[1:] if x]) == count,
          "CSV header and one line per reading")
    c1 = lines[1].split(",")
    check(c1[0] == obs[0]["observed_at"] and abs(float(c1[1]) - obs[0]["value"]) < 1e-9,
          "CSV columns: time +09:00, value as in JSON")
    check("accept" in h.get("vary", "").lower() and "attachment" in h.get("content-disposition", ""),
          "Vary: Accept and a file name")
    st, h2, csv2 = p.get(f"/api/v1/stations/{sid}/observations?from={frm}&to={to}&format=csv".replace("+", "%2B"))
    check(csv2 == csv, "format=csv gives the same CSV")
    st, h3, js2 = p.get(f"/api/v1/stations/{sid}/observations?from={frm}&to={to}".replace("+", "%2B"))
    check(js2 == body and h3.get("etag") != h.get("etag"), "JSON and CSV are cached apart")
    st, _, _ = p.get(f"/api/v1/stations/{sid}/observations?from={to}&to={frm}".replace("+", "%2B"))
    check(st == 400, "from after to: 400")

    # --- caching follows the store ---
    st, h, before = p.get("/api/v1/stations")
    etag = h["etag"]
    seed(db, "series", code, "1", str(int(time.time()) - 60), "600")
    check(wait_for(lambda: p.get("/api/v1/stations", {"If-None-Match": etag})[0] == 200, 2),
          "a new reading changes the stations ETag within 2 s")

    # --- /metrics from the store ---
    st, h, body = p.get("/metrics")
    m = body.decode()
    check("sonae_store_up 1" in m and 'sonae_stations{state="stale"}' in m, "/metrics reports the store and stations by state")
    stale = int(m.split('sonae_stations{state="stale"} ')[1].split()[0])
    now_fc = json.loads(p.get("/api/v1/stations")[2])
    check(stale == sum(1 for x in now_fc["features"] if x["properties"]["state"] == "stale"),
          f"stale count matches the API ({stale})")
    check(int(m.split("\nsonae_store_events_total ")[1].split()[0]) > 0, "events counter for the ingest rate")

    # --- OGC API over stations ---
    st, h, body = p.get("/api/v1/ogc/collections")
    cols = {c["id"]: c for c in json.loads(body)["collections"]}
    check("stations" in cols and any(lk["rel"] == "items" for lk in cols["stations"]["links"]),
          "OGC collections list stations with an items link")
    url = "/api/v1/ogc/collections/stations/items?limit=" + ("100" if REDUCED else "250")
    seen, pages = [], 0
    while url and pages < 50:
        st, h, body = p.get(url)
        page = json.loads(body)
        check(st == 200 and page["numberReturned"] == len(page["features"]), f"items page {pages + 1}")
        seen += [x["id"] for x in page["features"]]
        nxt = [lk["href"] for lk in page["links"] if lk["rel"] == "next"]
        url = nxt[0].split(f":{p.port}", 1)[1] if nxt else None
        pages += 1
    check(sorted(seen) == sorted(x["id"] for x in fc["features"]) and len(seen) == len(set(seen)),
          f"next links walk all {n} stations once in {pages} pages")
    st, h, body = p.get("/api/v1/ogc/collections/stations/items?datetime=2026-07-26T00:00:00%2B09:00/..&limit=10000")
    recent = json.loads(body)
    check(st == 200 and 0 < recent["numberMatched"] < n, f"datetime filters ({recent['numberMatched']} recent)")
    st, h, body = p.get(f"/api/v1/ogc/collections/stations/items/{sid}")
    check(st == 200 and json.loads(body)["id"] == sid, "one OGC item")

    # --- SSE: live, then 1,000 events while disconnected ---
    ev = SSE(p.port)
    check(ev.status == 200, "events stream opens (events_without_auth = true)")
    seed(db, "series", code, "1", str(int(time.time())), "600")
    check(ev.read_until(lambda e: any(x["event"] == "station.observations" for x in e), 2),
          "a new reading arrives on the stream within 2 s")
    last = ev.events[-1]["id"]
    ev.close()
    n_ev = 1000
    start = int(time.time()) + 3600
    newest = seed(db, "series", code, str(n_ev), str(start), "60")
    ev = SSE(p.port, last)
    ok = ev.read_until(lambda e: e and e[-1]["id"] >= newest, 30)
    ids = [x["id"] for x in ev.events]
    obs_ev = [x for x in ev.events if x["event"] == "station.observations"]
    check(ok, f"reconnected with Last-Event-ID {last}: reached event {newest}")
    check(ids == sorted(set(ids)) and ids[0] > last, "in order, without duplicates, nothing before Last-Event-ID")
    check(len(obs_ev) == n_ev, f"all {n_ev} observation events received ({len(obs_ev)})")
    # SIGTERM with a stream open: the stream ends and the daemon exits 0
    # (under ASan a leak or a use after free would change the code).
    ev2 = SSE(p.port)
    p.daemon.signal(signal.SIGTERM)
    # The exit code is the point here (a leak or a use after free under ASan
    # changes it), not the time: LeakSanitizer's exit scan is slow on a
    # loaded machine.  test_daemons checks the 2 s stop.
    rc = p.daemon.wait(20)
    if rc != 0:
        print(p.daemon.output()[-3000:])
    check(rc == 0, f"SIGTERM with an open stream: clean exit 0 (rc {rc})")
    ev.close()
    ev2.close()
finally:
    p.stop()

# With the switch off the stream is refused.
p = Portal(d)
try:
    st, _, _ = p.get("/api/v1/events")
    check(st == 401, "events_without_auth = false: the stream needs staff login (401)")
    # And without a store file the store-backed routes answer 503, not 500.
    os.rename(db, db + ".away")
    q = Portal(tmpdir("sonae-portal-nostore-"))
    try:
        st, _, _ = q.get("/api/v1/stations")
        check(st == 503, "no store: stations answers 503")
        st, _, _ = q.get("/api/v1/ping")
        check(st == 200, "and ping still answers")
    finally:
        q.stop()
        rmtree(q.dir)
finally:
    p.stop()
    rmtree(d)
done("test_portal_store")
