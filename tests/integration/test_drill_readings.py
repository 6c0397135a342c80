"""A drill's own readings (`sonae drill start`, 0010 stations.exercise)
against a real store, sonae-portald, sonae-collectd and the demo's replay.

The live system's collector reads a real k.river snapshot (山形県's crisis
gauges, ../shared/fixtures) through a `kriver` source.  A drill of the demo
scenario then runs its own sources of the same types (drill-kawabou,
drill-kriver, drill-amedas, drill-camera), and the test tries to make the
drill leak into the real system:

- the drill's gauge must reach 氾濫危険 (level 4) as a station of its own,
  marked exercise and named 【訓練】, its station.level event exercise,
  while every real station keeps its value, level and state, and the real
  kriver source's stations stay unmarked;
- residents (/api/v1/stations, /api/v1/cameras, the hazard answer's river
  level) see nothing of a drill without --public; staff
  (/api/v1/staff/stations) see its stations marked exercise; a --public
  drill shows them to residents, marked exercise, and its gauge's level
  reaches the hazard answer marked exercise;
- `sonae drill stop` must delete the drill's stations with their
  observations, images (rows and files) and events, counted through a
  connection of the test's own, and leave the real ones as they were.

With --postgis (drill-readings-postgis) the same on a PostgreSQL database
(tests/integration/storeq.py)."""

import datetime
import json
import os
import re
import signal
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from drill_common import ENV, add_viewer, get, live_conf, login, sonae  # noqa: E402
from fixture_server import FixtureServer  # noqa: E402
from river_fixtures import SNAPSHOTS, kriver_body, load_snapshot, raw_items, restamp  # noqa: E402
from storeq import Store  # noqa: E402
from sonaetest import SCALE, SOURCE, Daemon, check, done, free_port, rmtree, tmpdir, wait_for  # noqa: E402

sys.path.insert(0, os.path.join(SOURCE, "demo"))
import city  # noqa: E402

MARK = "【訓練】"


def features(port, path, cookie=None):
    try:
        return [f["properties"] for f in get(port, path, cookie)["features"]]
    except OSError:
        return []


def hazard(port):
    lon, lat = city.FLOOD_POINT
    return get(port, f"/api/v1/hazard?lat={lat}&lon={lon}")


def hazard_river(port):
    return hazard(port)["level_in_force"]["river"]


def metrics_text(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def source_metrics(port):
    """/metrics' sources: {gauge name: sorted source labels}."""
    out = {}
    for m in re.finditer(r'^(sonae_(?:exercise_)?source_ok)\{source="([^"]*)"', metrics_text(port), re.M):
        out.setdefault(m.group(1), []).append(m.group(2))
    return {k: sorted(v) for k, v in out.items()}


def station_metrics(port):
    """/metrics' station gauges (read from loopback): {name: total over the states}."""
    text = metrics_text(port)
    out = {}
    for m in re.finditer(r"^(sonae_(?:exercise_)?stations)\{state=\"[a-z_]+\"\} (\d+)$", text, re.M):
        out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2))
    return out


d = tmpdir("sonae-drill-readings-")
srv = FixtureServer()
srv.__enter__()
port = free_port()
conf = os.path.join(d, "sonae.conf")
store = Store(d)
q = store.q
# The real feed: 山形県's crisis gauges of a real snapshot, stamped now.
now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
srv.put("/kriver/06.json", kriver_body(restamp(raw_items(load_snapshot(SNAPSHOTS[0]), "06000"), now)))
with open(conf, "w", encoding="utf-8") as f:
    f.write(live_conf(port, f"""[jma]
enabled = false
exercise = true
offices = {city.OFFICE}
areas = {city.AREA_CODE}
[demo]
speed = 600
[source.kriver-yamagata]
type = kriver
interval = 10
url = {srv.url('/kriver/06.json')}
expected_interval = 600
""") + store.conf)
os.makedirs(os.path.join(d, "web"), exist_ok=True)
check(sonae(conf, "db", "migrate").returncode == 0, "store migrated")
r = sonae(conf, "import", "areas", os.path.join(SOURCE, "demo", "layers", "boundary.geojson"))
check(r.returncode == 0, "the demo city's area imported")
r = add_viewer(conf)
check(r.returncode == 0, "a viewer for the staff lists")

def one(sql, *args):
    return q(sql, *args)[0][0]


def images_of_drill():
    return one("SELECT count(*) FROM camera_images i JOIN stations s ON s.id = i.station_id WHERE s.exercise = 1")


def real_state():
    """Every real station with its status, and the real observations' count."""
    rows = q("SELECT s.source, s.external_id, s.name, s.exercise, t.value, t.level, t.state, "
             "t.observed_at FROM stations s LEFT JOIN station_status t ON t.station_id = s.id "
             "WHERE s.source NOT LIKE 'drill-%' ORDER BY s.id")
    n = one("SELECT count(*) FROM observations o JOIN stations s ON s.id = o.station_id "
            "WHERE s.source NOT LIKE 'drill-%'")
    return rows, n


def drill_rows():
    return q("SELECT s.id, s.source, s.name, s.exercise, t.level FROM stations s LEFT JOIN "
             "station_status t ON t.station_id = s.id WHERE s.exercise = 1 OR s.source LIKE 'drill-%'")


portal = Daemon("sonae-portald", ["-c", conf])
collectd = Daemon("sonae-collectd", ["-c", conf], env=ENV)
try:
    check(wait_for(lambda: one("SELECT count(*) FROM stations WHERE source = 'kriver-yamagata'") > 0, 15 * SCALE), "the live system stores the real crisis gauges")
    before = real_state()
    check(all(row[3] == 0 for row in before[0]) and before[1] > 0,
          f"real stations are not exercise ({len(before[0])} stations, {before[1]} observations)")
    cookie = login(port)
    real_ids = {p["id"] for p in features(port, "/api/v1/stations")}
    check(len(real_ids) == len(before[0]), "residents see the real stations")

    # --- a drill for staff only ---
    r = sonae(conf, "drill", "start", "heavy-rain-night", "--areas", city.AREA_CODE)
    check(r.returncode == 0 and "【訓練】" in r.stdout, f"a staff-only drill starts: {r.stdout.strip()[-120:]} {r.stderr.strip()}")
    conf_text = open(os.path.join(d, "data", "drill", "drill.conf"), encoding="utf-8").read()
    check(all(f"[source.drill-{k}]" in conf_text for k in ("kawabou", "kriver", "amedas", "camera"))
          and conf_text.count("exercise = true") >= 5,
          "the drill's collector has its own sources, marked exercise")
    gauge_id = [None]
    peak = [0]

    def drill_gauge_at_four():
        rows = q("SELECT s.id, t.level FROM stations s JOIN station_status t ON t.station_id = s.id "
                 "WHERE s.source = 'drill-kawabou' AND s.exercise = 1")
        if rows:
            gauge_id[0] = rows[0][0]
            peak[0] = max(peak[0], rows[0][1] or 0)
        return peak[0] >= 4

    check(wait_for(drill_gauge_at_four, 60 * SCALE), f"the drill's gauge reaches 氾濫危険 (level {peak[0]})")
    gid = gauge_id[0]
    name = one("SELECT name FROM stations WHERE id = ?", gid)
    check(name.startswith(MARK), f"the drill's gauge is named {MARK}: {name}")
    ev = q("SELECT exercise, public FROM events WHERE type = 'station.level' AND subject = ?", f"stations/{gid}")
    check(ev and all(e[0] == 1 for e in ev), f"its station.level events are exercise: {ev}")
    check(real_state() == before, "every real station keeps its value, level and state, unmarked")
    check(hazard_river(port) is None, "the hazard answer's river level takes nothing from the drill")

    res = features(port, "/api/v1/stations")
    check({p["id"] for p in res} == real_ids and not any(p["exercise"] for p in res),
          "residents' station list: the real stations only (no --public)")
    try:
        get(port, f"/api/v1/stations/{gid}")
        check(False, "residents get the drill's gauge")
    except urllib.error.HTTPError as e:
        check(e.code == 404, f"residents do not get the drill's gauge by id ({e.code})")
    check(wait_for(lambda: images_of_drill() > 0, 20 * SCALE), "the drill's camera stores stills")
    check(not [c for c in get(port, "/api/v1/cameras")["features"] if c["properties"].get("exercise")
               or MARK in (c["properties"].get("name") or "")], "residents' camera list: no drill camera")
    staff = features(port, "/api/v1/staff/stations", cookie)
    drill = [p for p in staff if p["exercise"]]
    check({p["source"] for p in drill} >= {"drill-kawabou", "drill-kriver", "drill-amedas", "drill-camera"}
          and all(p["name"].startswith(MARK) for p in drill)
          and {p["id"] for p in staff if not p["exercise"]} == real_ids,
          f"staff see the drill's stations marked exercise and {MARK}, beside the real ones: "
          f"{sorted(p['source'] for p in drill)}")
    seen_m = []

    def metrics_apart():
        seen_m.append((station_metrics(port), one("SELECT count(*) FROM stations WHERE exercise = 1")))
        m, n = seen_m[-1]
        return n > 0 and m.get("sonae_stations") == len(real_ids) and m.get("sonae_exercise_stations") == n

    check(wait_for(metrics_apart, 5),
          f"/metrics counts the {len(real_ids)} real stations apart from the drill's: {seen_m[-1]}")
    sm = source_metrics(port)
    check(not [n for n in sm.get("sonae_source_ok", []) if n.startswith("drill-")]
          and "drill-jma" in sm.get("sonae_exercise_source_ok", []),
          f"/metrics reports the drill's sources apart from the real one: {sm}")
    one_st = get(port, f"/api/v1/staff/stations/{gid}", cookie)["properties"]
    check(one_st["id"] == gid and one_st["exercise"] and one_st["name"].startswith(MARK),
          f"staff open the staff-only drill's gauge by id: {one_st['name']}")
    obs = get(port, f"/api/v1/staff/stations/{gid}/observations", cookie)
    check(obs["station"] == gid and obs["quantity"] == "water_level_m" and obs["observations"],
          f"and its series ({len(obs['observations'])} readings)")
    rid = min(real_ids)
    check(get(port, f"/api/v1/staff/stations/{rid}", cookie)["properties"]["id"] == rid,
          "and a real station by id")
    for path in (f"/api/v1/staff/stations/{gid}", f"/api/v1/staff/stations/{gid}/observations"):
        try:
            get(port, path)
            check(False, f"{path} without a session")
        except urllib.error.HTTPError as e:
            check(e.code == 401, f"{path} without a session is refused ({e.code})")
    try:
        get(port, f"/api/v1/stations/{gid}/observations")
        check(False, "residents get the drill gauge's series")
    except urllib.error.HTTPError as e:
        check(e.code == 404, f"residents do not get the drill gauge's series ({e.code})")
    try:
        get(port, "/api/v1/staff/stations")
        check(False, "the staff stations without a session")
    except urllib.error.HTTPError as e:
        check(e.code == 401, f"the staff station list without a session is refused ({e.code})")
    r = sonae(conf, "drill", "stop")
    check(r.returncode == 0 and "stations" in r.stdout, f"drill stop ({r.returncode}): {r.stdout.strip()} {r.stderr.strip()}")

    # --- a public drill ---
    r = sonae(conf, "drill", "start", "heavy-rain-night", "--areas", city.AREA_CODE, "--public")
    check(r.returncode == 0, "a --public drill starts")

    def public_gauge():
        return [p for p in features(port, "/api/v1/stations") if p["source"] == "drill-kawabou"]

    check(wait_for(lambda: bool(public_gauge()), 30 * SCALE), "residents see the --public drill's gauge")
    g = public_gauge()[0]
    check(g["exercise"] and g["name"].startswith(MARK), f"marked exercise and {MARK}: {g['name']}")
    check(wait_for(lambda: any(p["source"] == "drill-camera"
                               for p in features(port, "/api/v1/cameras")), 20 * SCALE),
          "and its camera")
    seen = []

    def river_from_drill():
        hz = hazard(port)
        seen.append((hz["level_in_force"]["river"], hz["exercise"]))
        return hz["level_in_force"]["river"] is not None and hz["exercise"]

    check(wait_for(river_from_drill, 30 * SCALE),
          f"the public drill's gauge gives the hazard answer a river level, marked exercise ({seen[-1]})")
    check(real_state() == before, "the real stations are still untouched")
    check(wait_for(lambda: images_of_drill() > 0, 20 * SCALE), "the public drill's camera stores stills")

    # The replay's server goes away: the drill's sources fail, and tell it
    # as exercise events (notifications of them reach only exercise channels).
    state = dict(line.split("=", 1) for line in open(os.path.join(d, "data", "drill", "state")).read().split("\n")
                 if "=" in line)
    os.kill(int(state["replay_pid"]), signal.SIGTERM)

    def drill_health():
        return q("SELECT subject, exercise FROM events WHERE type = 'source.health' AND subject LIKE 'sources/drill-%'")

    check(wait_for(lambda: {s for s, _ in drill_health()} >= {"sources/drill-kawabou", "sources/drill-kriver",
                                                            "sources/drill-jma"}, 20),
          f"the drill's sources report failing without the replay: {drill_health()}")
    check(all(e == 1 for _, e in drill_health()), f"their source.health events are exercise: {drill_health()}")
    names = [n for (n,) in q("SELECT name FROM source_status")]
    check("drill-jma" in names and "jma" not in names,
          f"the drill's JMA section reports as drill-jma, not as the live system's jma (which has none): {names}")

    # --- stop ---
    ids = [row[0] for row in drill_rows()]
    files = [os.path.join(d, "data", p) for (p,) in q(
        f"SELECT path FROM camera_images WHERE station_id IN ({','.join('?' * len(ids))})", *ids)]
    check(ids and files and all(os.path.exists(p) for p in files),
          f"the drill holds {len(ids)} stations and {len(files)} image files")
    # Health rows as the scheduler writes them after a failure: the drill's
    # camera's must go with the drill, the real source's must stay.
    for name in ("drill-camera", "kriver-yamagata"):
        q("INSERT INTO source_status (name, state, last_error_at, last_error, updated_at) "
          "VALUES (?, 'failing', ?, 'GET: timeout', ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state, "
          "last_error_at = excluded.last_error_at, last_error = excluded.last_error, updated_at = excluded.updated_at",
          name, int(now.timestamp()), int(now.timestamp()))
    r = sonae(conf, "drill", "stop")
    check(r.returncode == 0 and "訓練を終了しました" in r.stdout, f"drill stop ({r.returncode}): {r.stdout.strip()} {r.stderr.strip()}")
    marks = ",".join("?" * len(ids))
    left = {t: one(f"SELECT count(*) FROM {t} WHERE station_id IN ({marks})", *ids)
            for t in ("observations", "station_status", "station_latest", "camera_images")}
    check(not drill_rows() and all(v == 0 for v in left.values()),
          f"the drill's stations and everything they held are gone: {left}")
    check(not any(os.path.exists(p) for p in files), "and their image files")
    names = [n for (n,) in q("SELECT name FROM source_status")]
    check("drill-camera" not in names and "drill-jma" not in names and "kriver-yamagata" in names,
          f"the drill's source leaves the source list; the real one stays: {names}")
    ev = q(f"SELECT type FROM events WHERE subject IN ({marks})", *[f"stations/{i}" for i in ids])
    check(ev and all(t == ("station.state",) for t in ev),
          f"only the removal events of the drill's stations are left: {sorted(set(ev))}")
    check(real_state() == before, "the real stations and observations are as before the drills")
    check(wait_for(lambda: not [p for p in features(port, "/api/v1/staff/stations", cookie) if p["exercise"]], 10),
          "staff see no drill station any more")
    try:
        get(port, f"/api/v1/staff/stations/{g['id']}", cookie)
        check(False, "staff open a removed drill station")
    except urllib.error.HTTPError as e:
        check(e.code == 404, f"a removed drill station is gone for staff too ({e.code})")
    m = station_metrics(port)
    check(m.get("sonae_stations") == len(real_ids) and m.get("sonae_exercise_stations") == 0,
          f"/metrics: the real stations, and no drill station after the drill: {m}")
finally:
    sonae(conf, "drill", "stop")
    collectd.stop()
    portal.stop()
    srv.__exit__(None, None, None)
store.close()
rmtree(d)
done(store.name("drill-readings"))
