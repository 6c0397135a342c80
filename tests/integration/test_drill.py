"""`sonae drill start|stop|status` and `sonae run` against a real store,
sonae-portald, sonae-collectd and the demo's replay server.

A "live" system (portal in exercise mode, its collector reading a real
feed from the fixture server with a 通常 大雨警報) gets a drill of the
demo scenario: the drill's 訓練 telegrams must give exercise rows that
rise to level 5 while the real row stays at the real telegram's level 3
with only its kind; `sonae drill stop` must end the drill's processes and
remove every exercise row (alerts, area status, orders, ledger) and leave
the real ones.  A drill without --public is seen by staff only
(/api/v1/staff/status): the public status and hazard answer show nothing of
it; a --public drill reaches them, for its named areas only.  The CAP feed
and /api/v1/alerts/history follow the same rules: a staff-only drill's
messages and 訓練 rows never reach them (only /api/v1/staff/cap.atom and
/api/v1/staff/alerts/history), a --public drill's reach them as CAP
`<status>Exercise</status>` for its areas only, and every message
validates against the OASIS CAP 1.2 schema (xmllint).  `sonae run` must
start the three daemons, stop them on SIGTERM, and exit 1 when one of them
ends by itself.  With --postgis (drill-postgis) the same on a PostgreSQL
database (tests/integration/storeq.py)."""

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from drill_common import ENV, SONAE, add_viewer, get, live_conf, login, sonae  # noqa: E402
from fixture_server import FixtureServer  # noqa: E402
from storeq import Store  # noqa: E402
from sonaetest import FIXTURES, SCALE, SOURCE, Daemon, check, done, free_port, rmtree, tmpdir, wait_for  # noqa: E402

sys.path.insert(0, os.path.join(SOURCE, "demo"))
import city  # noqa: E402
import jmaxml  # noqa: E402


def status(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/status", timeout=5) as r:
        return json.loads(r.read())


def rows(port, exercise, cookie=None, code=city.AREA_CODE):
    try:
        areas = get(port, "/api/v1/staff/status" if cookie else "/api/v1/status", cookie)["areas"]
    except OSError:
        return []
    return [a for a in areas if a["area_code"] == code and a["exercise"] == exercise]


def hazard(port):
    lon, lat = city.FLOOD_POINT
    return get(port, f"/api/v1/hazard?lat={lat}&lon={lon}")


XSD = os.path.join(FIXTURES, "cap", "CAP-v1.2.xsd")


def raw(port, path, cookie=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def cap_feed(port, cookie=None):
    """The CAP feed's messages as {identifier: (status, JMA geocodes)}: the
    public feed, or the staff one with a session."""
    atom = raw(port, "/api/v1/staff/cap.atom" if cookie else "/api/v1/cap.atom", cookie).decode()
    out = {}
    for alert in re.findall(r"<alert .*?</alert>", atom, re.S):
        ident = re.search(r"<identifier>(.*?)</identifier>", alert).group(1)
        out[ident] = (re.search(r"<status>(.*?)</status>", alert).group(1),
                      set(re.findall(r"<valueName>JMA</valueName>\s*<value>(.*?)</value>", alert)))
    return out


def cap_valid(port, ident, cookie=None):
    """xmllint's verdict on one message against the OASIS CAP 1.2 schema."""
    body = raw(port, f"/api/v1/{'staff/' if cookie else ''}cap/{ident}", cookie)
    with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as f:
        f.write(body)
        path = f.name
    try:
        return subprocess.run(["xmllint", "--noout", "--schema", XSD, path], capture_output=True).returncode == 0
    finally:
        os.unlink(path)


def history(port, cookie=None):
    """The alert history's report_status and area per row."""
    path = "/api/v1/staff/alerts/history" if cookie else "/api/v1/alerts/history"
    return [(a["report_status"], a["area_code"]) for a in get(port, path, cookie)["alerts"]]


def exercise_ids(feed):
    return sorted(i for i, (status, _) in feed.items() if status == "Exercise")


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


d = tmpdir("sonae-drill-")
store = Store(d)
q = store.q


def one(sql, *args):
    return q(sql, *args)[0][0]


srv = FixtureServer()
srv.__enter__()
port = free_port()
conf = os.path.join(d, "sonae.conf")
with open(conf, "w", encoding="utf-8") as f:
    f.write(live_conf(port, f"""[jma]
enabled = true
exercise = true
base_url = {srv.url('/jma/')}
feeds = extra
national = false
areas = {city.AREA_CODE}
interval = 10
[demo]
speed = 600
""") + store.conf)
os.makedirs(os.path.join(d, "web"), exist_ok=True)
r = sonae(conf, "db", "migrate")
check(r.returncode == 0, "store migrated")
r = sonae(conf, "import", "areas", os.path.join(SOURCE, "demo", "layers", "boundary.geojson"))
check(r.returncode == 0, "the demo city's area imported")
r = add_viewer(conf)
check(r.returncode == 0, "a viewer for the staff status")

# The real feed: one 通常 大雨警報 (level 3) for the city.
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
real = jmaxml.telegram("VPWW54", now, city.OFFICE, [(city.AREA_CODE, city.CITY, [("03", "大雨警報", "発表")])],
                       status="通常", head_title="山形県気象警報・注意報", headline="（試験用の作成電文）")
name = jmaxml.doc_name("VPWW54", now, 0)
srv.put("/jma/data/" + name, real, content_type="application/xml")
feed = jmaxml.feed([("気象警報・注意報（Ｈ２７）", city.OFFICE, srv.url("/jma/data/" + name), now)])
srv.put("/jma/extra.xml", feed, content_type="application/atom+xml")
srv.put("/jma/extra_l.xml", feed, content_type="application/atom+xml")

portal = Daemon("sonae-portald", ["-c", conf])
collectd = Daemon("sonae-collectd", ["-c", conf], env=ENV)
try:
    check(wait_for(lambda: bool(rows(port, False)) and rows(port, False)[0]["level"] == 3, 15),
          "the live system shows the real 大雨警報 (level 3, not exercise)")

    # --- usage ---
    r = sonae(conf, "drill", "start")
    check(r.returncode == 2, "drill start without a scenario is a usage error")
    r = sonae(conf, "drill", "start", "no-such-scenario", "--areas", city.AREA_CODE)
    check(r.returncode == 1 and "no scenario" in r.stderr, "an unknown scenario is refused")

    cookie = login(port)
    st = get(port, "/api/v1/staff/status", cookie)
    check(st["exercise_mode"] and "areas" in st, "the staff status answers a viewer")
    try:
        get(port, "/api/v1/staff/status")
        check(False, "the staff status without a session is refused")
    except urllib.error.HTTPError as e:
        check(e.code == 401, f"the staff status without a session is refused ({e.code})")

    # --- a drill for staff only (no --public) ---
    r = sonae(conf, "drill", "start", "heavy-rain-night", "--areas", city.AREA_CODE)
    check(r.returncode == 0 and "only staff" in r.stdout, f"a staff-only drill starts: {r.stdout.strip()[-80:]}")
    check(one("SELECT count(*) FROM drills WHERE public = 0 AND stopped_at IS NULL") == 1
          and q("SELECT area_code FROM drill_areas") == [(city.AREA_CODE,)],
          f"the drill's row: not public, its area: {q('SELECT id, public, stopped_at FROM drills')} "
          f"{q('SELECT area_code FROM drill_areas')}")
    check(wait_for(lambda: bool(rows(port, True, cookie)) and (rows(port, True, cookie)[0]["level"] or 0) >= 3, 40),
          "staff see the staff-only drill's exercise row")
    check(not rows(port, True) and not status(port)["exercise_mode"],
          "residents see nothing of it in /api/v1/status (no rows, exercise_mode false)")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/lite", timeout=5) as r_:
        check("訓練" not in r_.read().decode(), "nor on the light page")
    hz = hazard(port)
    check(not hz["exercise"] and hz["level_in_force"]["jma"] == 3,
          f"the hazard answer keeps the real level only: {hz['level_in_force']} exercise {hz['exercise']}")
    pub = cap_feed(port)
    check(not exercise_ids(pub) and any(s == "Actual" for s, _ in pub.values()),
          f"the public CAP feed carries the real alert and none of the staff-only drill's: {sorted(s for s, _ in pub.values())}")
    staff_cap = cap_feed(port, cookie)
    ex = exercise_ids(staff_cap)
    check(ex and all(staff_cap[i][1] == {city.AREA_CODE} for i in ex),
          f"the staff CAP feed carries the drill's messages as Exercise ({len(ex)})")
    check(all(cap_valid(port, i, cookie) for i in ex[:4]), "the staff feed's Exercise messages are valid CAP 1.2")
    try:
        raw(port, "/api/v1/cap/" + ex[0])
        check(False, "the public message endpoint answers a staff-only drill's message")
    except urllib.error.HTTPError as e:
        check(e.code == 404, f"the public message endpoint does not know the staff-only drill's messages ({e.code})")
    h = history(port)
    check(h and all(rs == "通常" for rs, _ in h), f"the public alert history has no 訓練 row: {sorted(set(h))}")
    check(any(rs == "訓練" for rs, _ in history(port, cookie)), "the staff alert history has the drill's 訓練 rows")
    r = sonae(conf, "drill", "stop")
    check(r.returncode == 0 and one("SELECT count(*) FROM drills WHERE stopped_at IS NULL") == 0,
          "drill stop ends the drill's row")

    # --- start ---
    r = sonae(conf, "drill", "start", "heavy-rain-night", "--areas", city.AREA_CODE, "--public")
    check(r.returncode == 0 and "訓練を開始しました" in r.stdout, f"drill start: {r.stdout.strip()[:80]} {r.stderr.strip()}")
    state = dict(line.split("=", 1) for line in open(os.path.join(d, "data", "drill", "state")).read().split("\n") if "=" in line)
    pids = [int(state["replay_pid"]), int(state["collectd_pid"])]
    check(all(alive(p) for p in pids), "the drill's replay and collector run")
    r = sonae(conf, "drill", "start", "heavy-rain-night", "--areas", city.AREA_CODE)
    check(r.returncode == 1 and "running" in r.stderr, "a second drill while one runs is refused")
    r = sonae(conf, "drill", "status")
    check(r.returncode == 0 and "running" in r.stdout, "drill status says running")

    seen = []

    def at_five():
        ex = rows(port, True)
        if ex:
            seen.append(ex[0]["level"])
        return bool(ex) and ex[0]["level"] == 5

    check(wait_for(at_five, 40), f"the drill's exercise row reaches level 5 (seen {sorted(set(x for x in seen if x))})")
    health = q("SELECT name, state FROM source_status ORDER BY name")
    check(("drill-jma", "ok") in health and ("jma", "ok") in health,
          f"the drill's JMA section reports its health as drill-jma beside the live jma: {health}")
    ev = q("SELECT subject, exercise FROM events WHERE type = 'source.health'")
    check(("sources/drill-jma", 1) in ev and ("sources/jma", 0) in ev and ("sources/jma", 1) not in ev,
          f"drill-jma's source.health events are exercise, the live jma's are not: {sorted(set(ev))}")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r_:
        m = r_.read().decode()
    check('sonae_source_ok{source="jma",state="ok"} 1' in m and 'sonae_exercise_source_ok{source="drill-jma",state="ok"} 1' in m
          and 'sonae_source_ok{source="drill-jma"' not in m,
          "/metrics: the live jma among the real sources, drill-jma among the drill's")
    srcs = {s["name"]: s["exercise"] for s in get(port, "/api/v1/sources", cookie)["sources"]}
    check(srcs.get("drill-jma") is True and srcs.get("jma") is False,
          f"staff's source list marks drill-jma exercise, the live jma not: {srcs}")
    re_ = rows(port, False)
    check(len(re_) == 1 and re_[0]["level"] == 3 and [k["code"] for k in re_[0]["kinds"]] == ["03"]
          and not re_[0]["exercise"],
          f"the real row stays level 3 with only the real kind: {re_}")
    ex = rows(port, True)[0]
    check(ex["exercise"] and all(k["code"] != "03" or k["name"] != "大雨警報" for k in ex["kinds"]),
          "the exercise row carries the drill's kinds only")
    check(status(port)["exercise_mode"], "residents are told of the public drill (exercise_mode)")
    hz = hazard(port)
    check(hz["exercise"] and hz["level_in_force"]["jma"] == 5,
          f"the public drill reaches the hazard answer, marked exercise: {hz['level_in_force']}")
    # An exercise order for an area the drill does not name stays for staff.
    other = "0620100"
    q("INSERT INTO orders (level, hazard, area_code, reason, issued_at, exercise) "
      "VALUES (4, 'flood', ?, '訓練の避難指示（対象外）', ?, 1)", other, int(time.time()))
    check(wait_for(lambda: bool(rows(port, True, cookie, other)), 10), "staff see an exercise order outside the drill's areas")
    check(not rows(port, True, code=other), "residents do not: the drill is public for its named areas only")
    # An exercise alert outside the drill's areas, beside the order.
    q("INSERT INTO alerts (office, title, info_type, report_status, exercise, report_at, area_code, "
      "area_name, kind_code, kind_name, status, level) VALUES ('山形地方気象台', '山形県気象警報・注意報', "
      "'発表', '訓練', 1, ?, ?, '山形市', '03', '大雨警報', '発表', 3)", int(time.time()), other)
    pub = cap_feed(port)
    ex = exercise_ids(pub)
    check(ex and all(pub[i][1] <= {city.AREA_CODE} for i in ex),
          f"the public CAP feed carries the --public drill as Exercise, for its area only ({len(ex)})")
    check(any(s == "Actual" for s, _ in pub.values()), "beside the real alert, Actual")
    check(all(cap_valid(port, i) for i in ex[:4]), "the public drill's messages are valid CAP 1.2")
    staff_cap = cap_feed(port, cookie)
    check(any(other in staff_cap[i][1] for i in exercise_ids(staff_cap))
          and not any(other in pub[i][1] for i in ex),
          "the exercise order and alert outside the drill's areas are in the staff feed only")
    h = history(port)
    check(any(rs == "訓練" for rs, _ in h) and all(a == city.AREA_CODE for rs, a in h if rs == "訓練"),
          "the public alert history has the drill's 訓練 rows, for its area only")
    check(("訓練", other) in history(port, cookie), "the staff alert history has the one outside too")
    n_ex = one("SELECT count(*) FROM alerts WHERE exercise = 1")
    check(n_ex > 0 and one("SELECT count(*) FROM alerts WHERE exercise = 1 AND report_status <> '訓練'") == 0,
          f"the drill's alerts are 訓練 and marked exercise ({n_ex})")
    q("INSERT INTO orders (level, hazard, area_code, reason, issued_at, exercise) "
      "VALUES (4, 'flood', ?, '訓練の避難指示', ?, 1)", city.AREA_CODE, int(time.time()))

    # --- stop ---
    last_event = one("SELECT max(id) FROM events")
    r = sonae(conf, "drill", "stop")
    check(r.returncode == 0 and "訓練を終了しました" in r.stdout, f"drill stop: {r.stdout.strip()} {r.stderr.strip()}")
    check(wait_for(lambda: not any(alive(p) for p in pids), 5), "the drill's processes are stopped")
    left = {t: one(f"SELECT count(*) FROM {t} WHERE {c}") for t, c in (
        ("alerts", "exercise = 1"), ("area_status", "exercise = 1"), ("area_kinds_in_force", "exercise = 1"),
        ("orders", "exercise = 1"), ("jma_telegrams", "report_status = '訓練'"))}
    check(all(v == 0 for v in left.values()), f"no exercise row is left: {left}")
    check(one("SELECT count(*) FROM alerts WHERE exercise = 0") >= 1
          and one("SELECT count(*) FROM jma_telegrams WHERE report_status = '通常'") == 1,
          "the real alert and its ledger row stay")
    names = [n for (n,) in q("SELECT name FROM source_status")]
    check("jma" in names and "drill-jma" not in names, f"drill-jma leaves the source list, jma stays: {names}")
    ev = q("SELECT type, exercise, public FROM events WHERE id > ?", last_event)
    check(("alert.changed", 1, 1) in ev and ("order.lifted", 1, 1) in ev,
          f"the removal is told by exercise events (alert.changed, order.lifted): {sorted(set(ev))}")
    check(wait_for(lambda: not rows(port, True), 5), "the portal shows no exercise row any more")
    re2 = rows(port, False)
    check(len(re2) == 1 and re2[0]["level"] == 3, "the real row is unchanged")
    r = sonae(conf, "drill", "stop")
    check(r.returncode == 0 and "no drill was running" in r.stdout, "a second stop says no drill was running")
    r = sonae(conf, "drill", "status")
    check(r.returncode == 0 and "no drill" in r.stdout, "drill status: no drill")
finally:
    sonae(conf, "drill", "stop")  # a failed check leaves no drill running
    collectd.stop()
    portal.stop()
    srv.__exit__(None, None, None)

# --- sonae run ---
p = subprocess.Popen([SONAE, "-c", conf, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)


def ping():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/ping", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def end_of(proc):
    """Exit status (None after a kill on timeout) and output of proc."""
    try:
        rc = proc.wait(15 * SCALE)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = None
    return rc, proc.stdout.read()


def children(pid):
    r = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(pid)], capture_output=True, text=True)
    return [line.split() for line in r.stdout.splitlines() if line.strip()]


check(wait_for(ping, 10), "sonae run: the portal answers")
kids = children(p.pid)
check(sorted(k[1] for k in kids) == ["sonae-collectd", "sonae-ingestd", "sonae-portald"],
      f"sonae run started the three daemons: {kids}")
p.send_signal(signal.SIGTERM)
rc, out = end_of(p)
check(rc == 0, f"sonae run stops on SIGTERM with exit 0 ({rc}): {out[-600:]}")
check(not any(alive(int(k[0])) for k in kids), "and no daemon is left")
p = subprocess.Popen([SONAE, "-c", conf, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
check(wait_for(ping, 10), "sonae run again")
kids = children(p.pid)
victim = [int(k[0]) for k in kids if k[1] == "sonae-portald"]
os.kill(victim[0], signal.SIGKILL)
rc, out = end_of(p)
check(rc == 1 and "ended by itself" in out, f"a daemon that dies makes sonae run stop the others and exit 1 ({rc})")
check(not any(alive(int(k[0])) for k in kids), "no daemon is left after that")
store.close()
rmtree(d)
done(store.name("drill"))
