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
it; a --public drill reaches them, for its named areas only.  `sonae run` must start the three daemons, stop them on
SIGTERM, and exit 1 when one of them ends by itself."""

import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from drill_common import ENV, SONAE, add_viewer, get, live_conf, login, sonae  # noqa: E402
from fixture_server import FixtureServer  # noqa: E402
from sonaetest import SCALE, SOURCE, Daemon, check, done, free_port, rmtree, tmpdir, wait_for  # noqa: E402

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


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


d = tmpdir("sonae-drill-")
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
"""))
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
    db = sqlite3.connect(os.path.join(d, "sonae.db"))
    check(db.execute("SELECT count(*) FROM drills WHERE public = 0 AND stopped_at IS NULL").fetchone()[0] == 1
          and db.execute("SELECT area_code FROM drill_areas").fetchall() == [(city.AREA_CODE,)],
          "the drill's row: not public, its area")
    check(wait_for(lambda: bool(rows(port, True, cookie)) and (rows(port, True, cookie)[0]["level"] or 0) >= 3, 40),
          "staff see the staff-only drill's exercise row")
    check(not rows(port, True) and not status(port)["exercise_mode"],
          "residents see nothing of it in /api/v1/status (no rows, exercise_mode false)")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/lite", timeout=5) as r_:
        check("訓練" not in r_.read().decode(), "nor on the light page")
    hz = hazard(port)
    check(not hz["exercise"] and hz["level_in_force"]["jma"] == 3,
          f"the hazard answer keeps the real level only: {hz['level_in_force']} exercise {hz['exercise']}")
    r = sonae(conf, "drill", "stop")
    check(r.returncode == 0 and db.execute("SELECT count(*) FROM drills WHERE stopped_at IS NULL").fetchone()[0] == 0,
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
    db.execute("INSERT INTO orders (level, hazard, area_code, reason, issued_at, exercise) "
               "VALUES (4, 'flood', ?, '訓練の避難指示（対象外）', ?, 1)", (other, int(time.time())))
    db.commit()
    check(wait_for(lambda: bool(rows(port, True, cookie, other)), 10), "staff see an exercise order outside the drill's areas")
    check(not rows(port, True, code=other), "residents do not: the drill is public for its named areas only")
    n_ex = db.execute("SELECT count(*) FROM alerts WHERE exercise = 1").fetchone()[0]
    check(n_ex > 0 and db.execute("SELECT count(*) FROM alerts WHERE exercise = 1 AND report_status <> '訓練'").fetchone()[0] == 0,
          f"the drill's alerts are 訓練 and marked exercise ({n_ex})")
    db.execute("INSERT INTO orders (level, hazard, area_code, reason, issued_at, exercise) "
               "VALUES (4, 'flood', ?, '訓練の避難指示', ?, 1)", (city.AREA_CODE, int(time.time())))
    db.commit()

    # --- stop ---
    last_event = db.execute("SELECT max(id) FROM events").fetchone()[0]
    r = sonae(conf, "drill", "stop")
    check(r.returncode == 0 and "訓練を終了しました" in r.stdout, f"drill stop: {r.stdout.strip()} {r.stderr.strip()}")
    check(wait_for(lambda: not any(alive(p) for p in pids), 5), "the drill's processes are stopped")
    left = {t: db.execute(f"SELECT count(*) FROM {t} WHERE {c}").fetchone()[0] for t, c in (
        ("alerts", "exercise = 1"), ("area_status", "exercise = 1"), ("area_kinds_in_force", "exercise = 1"),
        ("orders", "exercise = 1"), ("jma_telegrams", "report_status = '訓練'"))}
    check(all(v == 0 for v in left.values()), f"no exercise row is left: {left}")
    check(db.execute("SELECT count(*) FROM alerts WHERE exercise = 0").fetchone()[0] >= 1
          and db.execute("SELECT count(*) FROM jma_telegrams WHERE report_status = '通常'").fetchone()[0] == 1,
          "the real alert and its ledger row stay")
    ev = db.execute("SELECT type, exercise, public FROM events WHERE id > ?", (last_event,)).fetchall()
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
rmtree(d)
done("drill")
