#!/usr/bin/python3
"""The demo's replay server: plays a scenario (demo/scenarios/*.json) in
real time, compressed by scaled intervals, and serves what the sources of
a fictional city would publish, on 127.0.0.1:

    /jma/extra.xml, extra_l.xml, eqvol.xml, eqvol_l.xml   JMA PULL Atom feeds
    /jma/data/NAME.xml                                    the telegrams
    /kriver/06.json                                       危機管理型水位計 listing
    /kawabou/gauges.json                                  the river gauge
    /amedas/data/latest_time.txt, map/STAMP.json, /amedas/const/amedastable.json
    /camera/NAME.jpg                                      the river camera still
    /replay/status.json                                   the story so far
    POST /replay/inject                                   one more telegram on the feed
    POST /notify/NAME                                     the demo's webhook channels' sink

Step i of the scenario is released at start + i × step_minutes × 60 / speed
seconds (speed 60: ten minutes of story in ten seconds).  Every timestamp is
the real time at which the step is released: telegrams, observations and
the city's orders are dated now, never in the story's past.  The HQ's
actions of a step (orders, shelters) are made through the portal's API as
the demo staff account, marked exercise.

    demo/replay.py --scenario FILE [--port 0] [--speed 60] [--status STATUSFILE]
        [--portal http://127.0.0.1:8080 --user demo --password-file FILE]
        [--still build/demo/sonae-demo-still] [--dir DIR] [--status-value 訓練]
        [--areas CODE,...] [--loop] [--start-ms MS] [--drill-sources FILE]

--start-ms puts step 0 at that wall-clock time (milliseconds since 1970,
now by default; run.sh gives the sensor nodes the same start, so that
their stories and this one keep one clock).

With --drill-sources (`sonae drill start`), the sections of the drill's own
sources (drill-kawabou, drill-kriver, drill-amedas and, with --still,
drill-camera, each `exercise = true`) reading this server are written to
FILE before the first step, for the drill's collector: their stations are
the drill's, marked 訓練, apart from the real ones.

Standard library only.  Prints one line per step, and the port it serves on
first ("replay: listening on 127.0.0.1:PORT")."""

import argparse
import datetime
import http.client
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import city  # noqa: E402
import jmaxml  # noqa: E402

JST = jmaxml.JST


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def deg_min(v):
    d = int(v)
    return [d, round((v - d) * 60, 1)]


class Story:
    """The scenario and what of it has been released so far."""

    def __init__(self, path, speed, status_value, still, folder, areas):
        with open(path, encoding="utf-8") as f:
            self.sc = json.load(f)
        self.speed = speed
        self.status_value = status_value
        self.still = still
        self.dir = folder
        self.areas = areas or [city.AREA_CODE]
        # The gauges report the first area's municipality code, so that a
        # drill's gauges lie in the areas it names (a 7-digit JMA code is
        # the 5-digit code and "00").
        self.town = self.areas[0][:5] if len(self.areas[0]) == 7 else city.TOWN_CODE
        self.lock = threading.Lock()
        self.released = []  # (step index, release datetime)
        self.telegrams = {}  # file name -> bytes
        self.entries = []  # (title, author, href, updated)
        self.base = ""
        self.hq_log = []
        self.serial = {}
        self.start = time.time()
        self.images = {}  # step -> jpeg bytes
        self.notified = []  # what the portal's webhook channels sent here

    def step_seconds(self):
        return self.sc.get("step_minutes", 10) * 60.0 / self.speed

    def current(self):
        with self.lock:
            if not self.released:
                return None, None
            i, at = self.released[-1]
            return self.sc["steps"][i], at

    def release(self, i):
        step = self.sc["steps"][i]
        at = now_utc().replace(microsecond=0)
        office = self.sc.get("office", city.OFFICE)
        with self.lock:
            for n, t in enumerate(step.get("telegrams", [])):
                kind = t["type"]
                key = (kind, t.get("event_id"))
                self.serial[key] = self.serial.get(key, 0) + 1
                areas = [(code, city.CITY, [tuple(k) for k in t["kinds"]]) for code in self.areas]
                body = jmaxml.telegram(
                    kind, at, office, areas, status=self.status_value, serial=self.serial[key],
                    event_id=t.get("event_id"), head_title=t.get("head_title"),
                    headline=t.get("headline") or "（訓練・デモ用に作成した架空の電文です）" + step.get("say", ""),
                    river=(city.RIVER_CODE, city.RIVER, city.FORECAST_CODE))
                name = jmaxml.doc_name(kind, at, n)
                self.telegrams[name] = body
                title = jmaxml.KINDS[kind][0]
                self.entries.append((title, office, self.base + "/jma/data/" + name, at))
            self.released.append((i, at))
        self.image_for(i)
        return step, at

    def image_for(self, i):
        if i in self.images or not self.still:
            return self.images.get(i)
        step = self.sc["steps"][i]
        out = os.path.join(self.dir, f"still-{i:03d}.jpg")
        r = subprocess.run([self.still, out, str(step.get("camera", 0.3)), str(step.get("rain", 0)),
                            str(i + 1)], capture_output=True)
        if r.returncode == 0:
            with open(out, "rb") as f:
                self.images[i] = f.read()
        return self.images.get(i)

    # ---- the documents ----
    def feed(self, long):
        with self.lock:
            entries = list(self.entries)
        if not long:
            cut = now_utc() - datetime.timedelta(minutes=15)
            short = [e for e in entries if e[3] >= cut]
            entries = short or entries[-10:]
        return jmaxml.feed(entries, "高頻度（随時）" + ("（長期）" if long else ""))

    def kriver(self):
        step, at = self.current()
        obss = []
        if step:
            stamp = at.astimezone(JST).isoformat()
            for g, v in zip(city.CRISIS, step.get("crisis", [])):
                if v < g["start"]:
                    continue  # k.river lists only gauges above 観測開始水位
                obss.append({"code": g["code"], "name": g["name"], "obsTime": stamp, "level": v,
                             "startLevel": g["start"], "warnLevel": g["warn"], "fladLevel": g["flad"],
                             "lat": g["lat"], "lon": g["lon"], "townCode": self.town})
        return json.dumps({"obss": obss}, ensure_ascii=False).encode()

    def kawabou(self):
        step, at = self.current()
        obss = []
        g = city.GAUGE
        if step:
            obss.append({"obsFcd": g["id"], "obsNm": g["name"], "rvrNm": city.RIVER,
                         "twnCd": self.town, "lat": g["lat"], "lon": g["lon"],
                         "stg": step.get("gauge"), "rsrvStg": g["standby"], "warnStg": g["caution"],
                         "spclWarnStg": g["evacuation"], "dngStg": g["danger"], "fldStg": g["flood"],
                         "obsTime": at.astimezone(JST).isoformat()})
        stamp = (at or now_utc()).astimezone(JST).isoformat()
        return json.dumps({"obsTime": stamp, "obss": obss}, ensure_ascii=False).encode()

    def latest_time(self):
        _, at = self.current()
        return ((at or now_utc()).astimezone(JST).isoformat() + "\n").encode()

    def amedas_map(self):
        step, _ = self.current()
        with self.lock:
            last6 = [self.sc["steps"][i].get("rain", 0) for i, _ in self.released[-6:]]
        r10 = step.get("rain", 0) if step else 0
        return json.dumps({city.AMEDAS["id"]: {"precipitation10m": [r10, 0],
                                               "precipitation1h": [round(sum(last6), 1), 0],
                                               "temp": [24.1, 0]}}).encode()

    def amedas_table(self):
        a = city.AMEDAS
        return json.dumps({a["id"]: {"type": "B", "elems": "11110000", "lat": deg_min(a["lat"]),
                                     "lon": deg_min(a["lon"]), "alt": 12, "kjName": a["name"],
                                     "knName": "ワカバガワ", "enName": "Wakabagawa"}},
                          ensure_ascii=False).encode()

    def status(self):
        with self.lock:
            rel = [{"step": i, "at_min": self.sc["steps"][i]["at"],
                    "released_at": at.astimezone(JST).isoformat()} for i, at in self.released]
            return json.dumps({"steps": len(self.sc["steps"]), "released": rel,
                               "step_seconds": self.step_seconds(), "hq": self.hq_log,
                               "notified": self.notified,
                               "done": len(rel) == len(self.sc["steps"])}, ensure_ascii=False).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    story = None

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        s = self.story
        p = urllib.parse.urlparse(self.path).path
        xml, js = "application/xml; charset=utf-8", "application/json; charset=utf-8"
        if p in ("/jma/extra.xml", "/jma/extra_l.xml"):
            return self.send(200, s.feed(p.endswith("_l.xml")), "application/atom+xml; charset=utf-8")
        if p in ("/jma/eqvol.xml", "/jma/eqvol_l.xml", "/jma/regular.xml", "/jma/regular_l.xml",
                 "/jma/other.xml", "/jma/other_l.xml"):
            return self.send(200, jmaxml.feed([], "地震火山"), "application/atom+xml; charset=utf-8")
        if p.startswith("/jma/data/"):
            with s.lock:
                body = s.telegrams.get(p[len("/jma/data/"):])
            return self.send(200, body, xml) if body else self.send(404, b"not found", "text/plain")
        if p == "/kriver/06.json":
            return self.send(200, s.kriver(), js)
        if p == "/kawabou/gauges.json":
            return self.send(200, s.kawabou(), js)
        if p == "/amedas/data/latest_time.txt":
            return self.send(200, s.latest_time(), "text/plain")
        if p.startswith("/amedas/data/map/") and p.endswith(".json"):
            return self.send(200, s.amedas_map(), js)
        if p == "/amedas/const/amedastable.json":
            return self.send(200, s.amedas_table(), js)
        if p.startswith("/camera/") and p.endswith(".jpg"):
            with s.lock:
                i = s.released[-1][0] if s.released else 0
            body = s.image_for(i)
            return self.send(200, body, "image/jpeg") if body else self.send(404, b"", "text/plain")
        if p == "/replay/status.json":
            return self.send(200, s.status(), js)
        return self.send(404, b"not found", "text/plain")

    def do_POST(self):
        # /replay/inject: one more telegram on the feed, as it is (the tests
        # put a 通常 telegram beside the drill's).  Loopback only, like the
        # whole server.
        s = self.story
        path = urllib.parse.urlparse(self.path).path
        n = int(self.headers.get("Content-Length") or 0)
        if n <= 0 or n > 1 << 20:
            return self.send(400, b"a body of at most 1 MB", "text/plain")
        body = self.rfile.read(n)
        if path.startswith("/notify/"):
            # The demo's webhook channels: what Sonae notified, per channel.
            try:
                msg = json.loads(body)
            except ValueError:
                return self.send(400, b"not JSON", "text/plain")
            with s.lock:
                s.notified.append({"channel": path[len("/notify/"):], "type": msg.get("type"),
                                   "exercise": msg.get("exercise"), "title": msg.get("title"),
                                   "text": (msg.get("text") or "")[:200]})
            return self.send(200, b"ok\n", "text/plain")
        if path != "/replay/inject":
            return self.send(404, b"not found", "text/plain")
        m = re.search(rb"<Title>([^<]*)</Title>", body)
        title = m.group(1).decode("utf-8", "replace") if m else "気象警報・注意報"
        at = now_utc().replace(microsecond=0)
        with s.lock:
            name = jmaxml.doc_name("VPWW54", at, 900 + len(s.telegrams))
            s.telegrams[name] = body
            s.entries.append((title, s.sc.get("office", city.OFFICE), s.base + "/jma/data/" + name, at))
        return self.send(200, b"injected\n", "text/plain")


class HQ:
    """The city's headquarters, acting through the portal as the demo staff."""

    def __init__(self, portal, user, password):
        u = urllib.parse.urlparse(portal)
        self.host, self.port = u.hostname, u.port or 80
        self.user, self.password = user, password
        self.cookie = self.csrf = None
        self.orders = {}  # level -> order id

    def call(self, method, path, body=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        h = {}
        if body is not None:
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        c.request(method, path, json.dumps(body).encode() if body is not None else None, h)
        r = c.getresponse()
        data = r.read()
        sc = r.getheader("Set-Cookie")
        c.close()
        try:
            return r.status, json.loads(data) if data else None, sc
        except ValueError:
            return r.status, None, sc

    def login(self):
        for _ in range(50):
            try:
                st, js, sc = self.call("POST", "/api/v1/auth/login",
                                       {"name": self.user, "password": self.password})
            except OSError:
                time.sleep(0.2)
                continue
            if st == 200 and sc:
                self.cookie, self.csrf = sc.split(";")[0], js["csrf"]
                return True
            time.sleep(0.2)
        return False

    def act(self, a, areas):
        if not self.cookie and not self.login():
            return "HQ: login failed"
        if "open_shelter" in a:
            st, js, _ = self.call("GET", "/api/v1/shelters")
            ids = [(f.get("properties") or {}).get("id") for f in (js or {}).get("features", [])
                   if (f.get("properties") or {}).get("name") == a["open_shelter"]]
            if not ids:
                return f"HQ: no shelter {a['open_shelter']}"
            st, _, _ = self.call("POST", f"/api/v1/shelters/{ids[0]}/status", {"open": True})
            return f"HQ: 避難所開設 {a['open_shelter']} ({st})"
        if "order" in a:
            out = []
            for code in areas:
                st, js, _ = self.call("POST", "/api/v1/orders",
                                      {"level": a["order"], "hazard": a.get("hazard", "flood"),
                                       "area_code": code, "reason": a.get("reason", ""),
                                       "exercise": True})
                if st == 201:
                    self.orders.setdefault(a["order"], []).append(js["id"])
                out.append(f"{(js or {}).get('name_ja', '')} {code} ({st})")
            return "HQ: 発令 " + ", ".join(out)
        if "lift" in a:
            out = []
            for oid in self.orders.pop(a["lift"], []):
                st, _, _ = self.call("POST", f"/api/v1/orders/{oid}/lift", {})
                out.append(f"order {oid} ({st})")
            return "HQ: 解除 " + ", ".join(out)
        return "HQ: unknown action"


DRILL_PREFIX = "drill-"


def drill_sources(base, still, town):
    """The INI sections of a drill's own sources on this server (the demo's
    sources of demo/prepare.py, renamed and marked exercise)."""
    g, cam = city.GAUGE, city.CAMERA
    text = f"""
# The drill's own readings (demo/replay.py --drill-sources): stations marked
# exercise (訓練), removed by `sonae drill stop`.
[source.{DRILL_PREFIX}kawabou]
type = kawabou
exercise = true
interval = 10
url = {base}/kawabou/gauges.json
expected_interval = 60

[source.{DRILL_PREFIX}kriver]
type = kriver
exercise = true
interval = 10
url = {base}/kriver/06.json
towns = {town}
expected_interval = 60

[source.{DRILL_PREFIX}amedas]
type = amedas
exercise = true
interval = 10
url = {base}/amedas/data/map/
stations = {city.AMEDAS['id']}
expected_interval = 60
"""
    if still:
        text += f"""
[source.{DRILL_PREFIX}camera]
type = camera
exercise = true
interval = 10
image_url = {base}/camera/{cam['id']}.jpg
name = {cam['name']}
river = {city.RIVER}
lat = {cam['lat']}
lon = {cam['lon']}
gauge = {DRILL_PREFIX}kawabou:{g['id']}
stale_after = 60
frozen_after = 0
"""
    return text


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--portal", default="")
    ap.add_argument("--user", default="demo")
    ap.add_argument("--password-file", default="")
    ap.add_argument("--still", default="")
    ap.add_argument("--dir", default="")
    ap.add_argument("--status-value", default="訓練")
    ap.add_argument("--areas", default="")
    ap.add_argument("--loop", action="store_true", help="start the story again after its end")
    ap.add_argument("--start-ms", type=int, default=0, help="wall-clock time of step 0 (ms since 1970)")
    ap.add_argument("--drill-sources", default="", help="write the drill's own sources' sections here")
    args = ap.parse_args()
    folder = args.dir or os.path.join(os.getcwd(), "replay")
    os.makedirs(folder, exist_ok=True)
    areas = [a for a in args.areas.split(",") if a]
    story = Story(args.scenario, args.speed, args.status_value, args.still, folder, areas)
    Handler.story = story
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    story.base = f"http://127.0.0.1:{port}"
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    if args.drill_sources:
        write_atomically(args.drill_sources, drill_sources(story.base, args.still, story.town))
    print(f"replay: listening on 127.0.0.1:{port}", flush=True)
    hq = None
    if args.portal and args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            hq = HQ(args.portal, args.user, f.read().strip())
    steps = story.sc["steps"]
    # The first round starts at --start-ms (the wall clock read once, then
    # the monotonic clock), later rounds of --loop when the last ended.
    t0 = time.monotonic()
    if args.start_ms:
        t0 -= time.time() - args.start_ms / 1000.0
    try:
        while True:
            for i, step in enumerate(steps):
                wait = t0 + i * story.step_seconds() - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                step, at = story.release(i)
                clock = at.astimezone(JST).strftime("%H:%M:%S")
                line = f"replay: {clock} story +{step['at']:3d} min"
                if step.get("say"):
                    line += "  " + step["say"]
                print(line, flush=True)
                for a in step.get("hq", []):
                    msg = hq.act(a, story.areas) if hq else "HQ: (no portal given) " + json.dumps(a, ensure_ascii=False)
                    with story.lock:
                        story.hq_log.append({"step": i, "action": a, "result": msg})
                    print("replay:   " + msg, flush=True)
            print("replay: the story has ended; the last state stays served.", flush=True)
            if not args.loop:
                while True:
                    time.sleep(3600)
            time.sleep(story.step_seconds() * 3)
            t0 = time.monotonic()
    except KeyboardInterrupt:
        pass
    finally:
        srv.shutdown()


if __name__ == "__main__":
    main()
