"""Staff accounts and the city's orders, against a real sonae-portald and
SpatiaLite file: `sonae user` (Argon2id), login sessions (HttpOnly,
SameSite=Lax, CSRF), refusals (nobody, wrong role, no CSRF, cross-site,
display token), the login slow-down per account and per address, display
tokens (read-only, revocable), evacuation orders through status, alerts,
CAP (xmllint against the CAP 1.2 schema) and SSE, the L5 confirmation, watch
points with their linked gauge and camera (latest readings returned), and an
audit entry for every write, read back through GET /api/v1/audit (admin
only; filters by time, user and entity; paged; hostile filters refused or
empty).  With --postgis (portal-writes-postgis) the same on a PostgreSQL database
(tests/integration/storeq.py)."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import SSE, Portal, write_conf  # noqa: E402
from storeq import Store  # noqa: E402
from sonaetest import BUILD, FIXTURES, SCALE, check, done, exe, rmtree, tmpdir, wait_for  # noqa: E402

SEED = os.path.join(BUILD, "tests", "portal-seed")
TELEGRAM = os.path.join(FIXTURES, "jma_xml", "operational", "20240725040511_0_VPWW54_060000.xml")
SHELTERS = os.path.join(FIXTURES, "gis", "shelters", "gsi_emergency_062031_tsuruoka.geojson")
SNAPSHOT = os.path.join(FIXTURES, "river", "k_river_crisis_gauges", "snapshot_2025-11-01-07JST.json")
XSD = os.path.join(FIXTURES, "cap", "CAP-v1.2.xsd")
SONAE = exe("sonae")
PW = {"admin1": "kanri-pass-0001", "ed1": "henshu-pass-0001", "view1": "etsuran-pass-01",
      "op1": "hinanjo-pass-001"}


def seed(*args):
    r = subprocess.run([SEED, *map(str, args)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r.stdout.split()[1:]


def sonae(conf, *args, stdin=""):
    return subprocess.run([SONAE, "-c", conf, *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=60 * SCALE)


def xmllint(xml_bytes):
    with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as f:
        f.write(xml_bytes)
        path = f.name
    try:
        return subprocess.run(["xmllint", "--noout", "--schema", XSD, path],
                              capture_output=True).returncode
    finally:
        os.unlink(path)


d = tmpdir("sonae-portal-writes-")
store = Store(d)
db = store.target
now = int(time.time())
seed(db, "alerts", now - 600, TELEGRAM)
seed(db, "shelters", SHELTERS)
seed(db, "stations", 2, SNAPSHOT)
gauge_id = store.q("SELECT id FROM stations WHERE kind = 'gauge' ORDER BY id")[0][0]
cam_id = int(seed(db, "camera", "cam-wp", now - 120, "ok")[0])
conf = write_conf(d, 0, extra=store.conf)
writes = []  # (action, object) of every write this test makes

# --- sonae user ---
shelter_ids = [r[0] for r in store.q("SELECT id FROM shelters ORDER BY id LIMIT 2")]
for name, role in (("admin1", "admin"), ("ed1", "editor"), ("view1", "viewer")):
    r = sonae(conf, "user", "add", name, "--role", role, stdin=PW[name] + "\n")
    check(r.returncode == 0, f"user add {name} ({role}): {r.stderr.strip()}")
    writes.append(("user.add", f"user:{name}"))
r = sonae(conf, "user", "add", "op1", "--role", "shelter_operator", "--shelter", shelter_ids[0],
          stdin=PW["op1"] + "\n")
check(r.returncode == 0, "user add op1 as shelter_operator of one shelter")
writes.append(("user.add", "user:op1"))
r = sonae(conf, "user", "add", "short1", "--role", "viewer", stdin="short\n")
check(r.returncode != 0 and "10" in r.stderr, "a password under 10 characters is refused")
r = sonae(conf, "user", "add", "ed1", "--role", "editor", stdin="another-password\n")
check(r.returncode != 0 and "exists" in r.stderr, "a taken name is refused")
r = sonae(conf, "user", "add", "x2", "--role", "root", stdin="another-password\n")
check(r.returncode != 0, "an unknown role is refused")
r = sonae(conf, "user", "list")
check(r.returncode == 0 and all(n in r.stdout for n in PW) and "short1" not in r.stdout,
      "user list shows the four accounts")
hashes = dict(store.q("SELECT name, password_hash FROM users"))
check(all(h.startswith("$argon2id$") and PW[n] not in h for n, h in hashes.items()),
      "the store keeps Argon2id hashes, not passwords")

p = Portal(d, extra=store.conf)
base = f"http://127.0.0.1:{p.port}"
sse = None
try:
    def call(method, path, body=None, cookie=None, csrf=None, extra=None):
        h = {"Content-Type": "application/json"} if body is not None else {}
        if cookie:
            h["Cookie"] = cookie
        if csrf:
            h["X-CSRF-Token"] = csrf
        h.update(extra or {})
        st, hd, data = p.get(path, h, method=method,
                             body=json.dumps(body).encode() if body is not None else None)
        try:
            js = json.loads(data) if data else None
        except ValueError:
            js = None
        return st, hd, js

    def login(name, pw=None, extra=None):
        st, hd, js = call("POST", "/api/v1/auth/login", {"name": name, "password": pw or PW[name]},
                          extra=extra)
        cookie = hd.get("set-cookie", "").split(";")[0]
        if st == 200:
            writes.append(("login", f"user:{name}"))
        return st, hd, js, cookie

    # --- nobody ---
    order4 = {"level": 4, "hazard": "flood", "area_code": "0620300", "reason": "赤川の増水のため"}
    st, _, _ = call("POST", "/api/v1/orders", order4)
    check(st == 401, "an order without login is refused (401)")
    s0 = SSE(p.port)
    check(s0.status == 401, "the event stream without login or display token is refused")
    s0.close()

    # --- login, cookie attributes ---
    st, _, _, _ = login("ed1", "wrong-password")
    check(st == 401, "a wrong password answers 401")
    st, hd, me, ed = login("ed1")
    sc = hd.get("set-cookie", "")
    check(st == 200 and me["role"] == "editor" and len(me["csrf"]) >= 40, "editor logs in")
    check("HttpOnly" in sc and "SameSite=Lax" in sc and "Max-Age=43200" in sc and "Path=/" in sc,
          f"session cookie: HttpOnly, SameSite=Lax, one shift ({sc.split(';', 1)[1].strip()})")
    check("Secure" not in sc, "plain http only on loopback: no Secure flag there")
    st, hd2, _, _ = login("view1", extra={"X-Forwarded-For": "203.0.113.9"})
    check(st == 200 and "Secure" in hd2.get("set-cookie", ""), "behind the proxy the cookie is Secure")
    csrf = me["csrf"]
    st, _, adme, adm = login("admin1")
    check(st == 200 and adme["role"] == "admin", "admin logs in (kept for the audit log below)")
    st, _, m2 = call("GET", "/api/v1/auth/me", cookie=ed,
                     extra={"Referer": "https://example.net/", "Sec-Fetch-Site": "cross-site"})
    check(st == 200 and m2["name"] == "ed1", "a link from another site keeps the session (Lax GET)")

    # --- refusals ---
    st, _, _ = call("POST", "/api/v1/orders", order4, cookie=ed)
    check(st == 403, "an order without the CSRF token is refused (403)")
    st, _, _ = call("POST", "/api/v1/orders", order4, cookie=ed, csrf="x" * 43)
    check(st == 403, "an order with a wrong CSRF token is refused")
    st, _, _ = call("POST", "/api/v1/orders", order4, cookie=ed, csrf=csrf,
                    extra={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    check(st == 403, "a cross-site POST carrying the session is refused")
    st, hd, _ = p.get("/api/v1/orders", {"Cookie": ed, "X-CSRF-Token": csrf,
                                          "Content-Type": "application/x-www-form-urlencoded"},
                      method="POST", body=b"level=4&hazard=flood&area_code=0620300")
    check(st == 415, "a form-encoded POST (what a cross-site form sends) is refused")
    st, _, vme, view = login("view1")
    st, _, _ = call("POST", "/api/v1/orders", order4, cookie=view, csrf=vme["csrf"])
    check(st == 403, "a viewer may not issue an order (403)")
    st, _, ome, op = login("op1")
    check(ome["shelters"] == [shelter_ids[0]], "op1's session carries its one shelter")
    st, _, _ = call("POST", "/api/v1/orders", order4, cookie=op, csrf=ome["csrf"])
    check(st == 403, "a shelter operator may not issue an order")
    bad = dict(order4, level=2)
    st, _, js = call("POST", "/api/v1/orders", bad, cookie=ed, csrf=csrf)
    check(st == 400 and "level" in js["error"]["message"], "level 2 is not an order (400)")
    st, _, js = call("POST", "/api/v1/orders", dict(order4, area_code="06203"), cookie=ed, csrf=csrf)
    check(st == 400, "a malformed area code is refused")

    # --- orders flow ---
    sse = SSE(p.port, headers=f"Cookie: {ed}\r\n")
    check(sse.status == 200, "the event stream is open to a logged-in editor")
    st, _, o4 = call("POST", "/api/v1/orders", order4, cookie=ed, csrf=csrf)
    check(st == 201 and o4["level"] == 4 and o4["name_ja"] == "避難指示", "editor issues 避難指示 (L4)")
    writes.append(("order.issue", f"order:{o4['id']}"))
    st, _, s = call("GET", "/api/v1/status")
    by = {a["area_code"]: a for a in s["areas"]}
    check(by["0620300"]["order"] and by["0620300"]["order"]["level"] == 4,
          "status shows the city's L4 order for 鶴岡市, beside JMA's kinds")
    check(by["0620300"]["kinds"], "JMA's kinds stay listed apart from the order")
    st, _, a = call("GET", "/api/v1/alerts?area=0620300")
    check(st == 200 and a["areas"][0]["order"]["level"] == 4, "alerts shows the order")
    urn = f"urn:sonae:order:{o4['id']}"
    st, hd, cap = p.get("/api/v1/cap.atom")
    check(st == 200 and urn.encode() in cap, "the CAP feed carries the order")
    st, hd, one = p.get(f"/api/v1/cap/{urn}")
    check(st == 200 and xmllint(one) == 0 and "<senderName>鶴岡市</senderName>" in one.decode()
          and "<responseType>Evacuate</responseType>" in one.decode(),
          "the order's CAP message validates against CAP 1.2: sender the city, Evacuate")
    check(sse.read_until(lambda ev: any(e["event"] == "order.issued" for e in ev), 5),
          "SSE delivers order.issued")

    # --- L5 needs a second confirmation ---
    order5 = {"level": 5, "hazard": "flood", "area_code": "0620400", "reason": "氾濫発生"}
    st, _, js = call("POST", "/api/v1/orders", order5, cookie=ed, csrf=csrf)
    check(st == 428 and len(js["confirm"]) == 43, "L5 without confirmation answers 428 with a code")
    st, _, s = call("GET", "/api/v1/status")
    check(all((x["order"] or {}).get("level") != 5 for x in s["areas"]), "no L5 order was issued")
    st, _, _ = call("POST", "/api/v1/orders", dict(order5, area_code="0620500", confirm=js["confirm"]),
                    cookie=ed, csrf=csrf)
    check(st == 428, "the code does not confirm a different order")
    st, _, js = call("POST", "/api/v1/orders", order5, cookie=ed, csrf=csrf)
    code = js["confirm"]
    st, _, o5 = call("POST", "/api/v1/orders", dict(order5, confirm=code), cookie=ed, csrf=csrf)
    check(st == 201 and o5["level"] == 5 and o5["name_ja"] == "緊急安全確保", "confirmed L5 is issued")
    writes.append(("order.issue", f"order:{o5['id']}"))
    st, _, _ = call("POST", "/api/v1/orders", dict(order5, confirm=code), cookie=ed, csrf=csrf)
    check(st == 428, "a confirmation code works once")

    # --- lift ---
    st, _, lifted = call("POST", f"/api/v1/orders/{o4['id']}/lift", {}, cookie=ed, csrf=csrf)
    check(st == 200 and lifted["lifted_at"], "editor lifts the L4 order")
    writes.append(("order.lift", f"order:{o4['id']}"))
    st, _, _ = call("POST", f"/api/v1/orders/{o4['id']}/lift", {}, cookie=ed, csrf=csrf)
    check(st == 409, "lifting it again answers 409")
    st, _, s = call("GET", "/api/v1/status")
    by = {a["area_code"]: a for a in s["areas"]}
    check(by["0620300"]["order"] is None and by["0620400"]["order"]["level"] == 5,
          "status: the L4 order is gone, the L5 stays")
    st, _, one = p.get(f"/api/v1/cap/{urn}:lifted")
    check(st == 200 and xmllint(one) == 0 and b"<responseType>AllClear</responseType>" in one
          and f"{urn},".encode() in one, "CAP: the lift is a valid AllClear referencing the order")
    check(sse.read_until(lambda ev: any(e["event"] == "order.lifted" for e in ev), 5),
          "SSE delivers order.lifted")
    st, _, ol = call("GET", "/api/v1/orders?all=true", cookie=view)
    check(st == 200 and {o["id"] for o in ol["orders"]} >= {o4["id"], o5["id"]}, "staff list the orders")
    sse.close()
    sse = None

    # --- notices ---
    notice = {"category": "shelter_open", "area_code": "0620300", "title_ja": "避難所開設",
              "text_ja": "朝暘第一小学校を避難所として開設しました。", "public": True}
    st, _, _ = call("POST", "/api/v1/notices", notice, cookie=view, csrf=vme["csrf"])
    check(st == 403, "a viewer may not publish a notice")
    st, _, js = call("POST", "/api/v1/notices", dict(notice, category="rumour"), cookie=ed, csrf=csrf)
    check(st == 400 and "category" in js["error"]["message"], "an unknown category is refused")
    st, _, n1 = call("POST", "/api/v1/notices", notice, cookie=ed, csrf=csrf)
    check(st == 201 and n1["public"] is True, "editor publishes a public 避難所開設 notice")
    writes.append(("notice.publish", f"notice:{n1['id']}"))
    staff_only = dict(notice, category="road_closed", title_ja="通行止め", text_ja="国道112号 冠水のため通行止め",
                      public=False, valid_to="2099-01-01T00:00:00+09:00")
    st, _, n2 = call("POST", "/api/v1/notices", staff_only, cookie=ed, csrf=csrf)
    check(st == 201 and n2["valid_to"] > 0, "editor publishes a staff-only 通行止め notice with validity")
    writes.append(("notice.publish", f"notice:{n2['id']}"))
    st, _, s = call("GET", "/api/v1/status")
    titles = [n["title_ja"] for n in s["notices"]]
    check("避難所開設" in titles and "通行止め" not in titles, "status lists the public notice only")
    st, _, nl = call("GET", "/api/v1/notices", cookie=view)
    check(st == 200 and {n["id"] for n in nl["notices"]} >= {n1["id"], n2["id"]}, "staff see both notices")
    st, _, _ = call("POST", f"/api/v1/notices/{n1['id']}/withdraw", {}, cookie=ed, csrf=csrf)
    check(st == 200, "editor withdraws the public notice")
    writes.append(("notice.withdraw", f"notice:{n1['id']}"))
    # The store ends validity at the next second at the earliest.
    check(wait_for(lambda: "避難所開設" not in [n["title_ja"] for n in call("GET", "/api/v1/status")[2]["notices"]],
                   12 * SCALE), "a withdrawn notice leaves the status (after the answer cache)")

    # --- shelters: editor or the shelter's operator ---
    mine, other = shelter_ids
    st, _, _ = call("POST", f"/api/v1/shelters/{mine}/status", {"open": True}, cookie=view,
                    csrf=vme["csrf"])
    check(st == 403, "a viewer may not open a shelter")
    st, _, _ = call("POST", f"/api/v1/shelters/{other}/status", {"open": True, "occupancy": 5},
                    cookie=op, csrf=ome["csrf"])
    check(st == 403, "a shelter operator may not change another shelter (wrong shelter)")
    st, _, _ = call("POST", f"/api/v1/shelters/{mine}/status", {"open": True}, cookie=op)
    check(st == 403, "the operator's write without CSRF is refused")
    st, _, js = call("POST", f"/api/v1/shelters/{mine}/status",
                     {"open": True, "occupancy": 42, "needs": "毛布、飲料水"}, cookie=op, csrf=ome["csrf"])
    check(st == 200 and js == {"open": True, "occupancy": 42, "needs": "毛布、飲料水"},
          "the operator opens its own shelter with occupancy and needs")
    writes.append(("shelter.status", f"shelter:{mine}"))
    st, _, js = call("POST", f"/api/v1/shelters/{other}/status", {"open": True, "occupancy": 0},
                     cookie=ed, csrf=csrf)
    check(st == 200, "an editor opens any shelter")
    writes.append(("shelter.status", f"shelter:{other}"))
    st, _, fc = call("GET", "/api/v1/shelters?open=true")
    opened = {f["properties"]["id"] if "id" in f["properties"] else f.get("id"): f["properties"]
              for f in fc["features"]}
    check(len(fc["features"]) == 2 and any(pr.get("occupancy") == 42 and pr.get("needs") == "毛布、飲料水"
                                           for pr in opened.values()),
          "the public shelter list shows both open, with occupancy and needs")
    st, _, _ = call("POST", "/api/v1/shelters/99999999/status", {"open": True}, cookie=ed, csrf=csrf)
    check(st == 404, "an unknown shelter is 404")

    # --- watch points (重点確認箇所) ---
    wp = {"name": "鶴岡駅前アンダーパス", "note": "大雨で冠水しやすい", "checklist": ["冠水深の確認", "通行止め看板の設置"],
          "geometry": {"type": "Point", "coordinates": [139.8236, 38.7367]}}
    st, _, _ = call("POST", "/api/v1/watch-points", wp, cookie=view, csrf=vme["csrf"])
    check(st == 403, "a viewer may not define a watch point")
    st, _, _ = call("POST", "/api/v1/watch-points", dict(wp, geometry={"type": "LineString", "coordinates": []}),
                    cookie=ed, csrf=csrf)
    check(st == 400, "a geometry other than Point or Polygon is refused")
    st, _, _ = call("POST", "/api/v1/watch-points",
                    dict(wp, geometry={"type": "Point", "coordinates": [539.8, 38.7]}), cookie=ed, csrf=csrf)
    check(st == 400, "a longitude out of range is refused")
    st, _, _ = call("POST", "/api/v1/watch-points", dict(wp, station_ids=[99999999]), cookie=ed, csrf=csrf)
    check(st == 400, "a link to a station that does not exist is refused")
    st, _, _ = call("POST", "/api/v1/watch-points", dict(wp, station_ids=["1; DROP TABLE stations"]),
                    cookie=ed, csrf=csrf)
    check(st == 400, "a station id that is not an integer is refused")
    wp["station_ids"] = [gauge_id, cam_id]
    st, _, w1 = call("POST", "/api/v1/watch-points", wp, cookie=ed, csrf=csrf)
    check(st == 201 and w1["id"] > 0, "editor defines a point watch point linked to a gauge and a camera")
    writes.append(("watch_point.create", f"watch_point:{w1['id']}"))
    levee = {"name": "赤川左岸 弱小堤防", "checklist": ["漏水の有無"],
             "geometry": {"type": "Polygon", "coordinates": [[[139.80, 38.72], [139.81, 38.72],
                                                              [139.81, 38.73], [139.80, 38.72]]]}}
    st, _, w2 = call("POST", "/api/v1/watch-points", levee, cookie=ed, csrf=csrf)
    check(st == 201, "editor defines a polygon watch point")
    writes.append(("watch_point.create", f"watch_point:{w2['id']}"))
    st, _, _ = call("POST", f"/api/v1/watch-points/{w1['id']}", dict(wp, note="水位計と連動して確認"),
                    cookie=ed, csrf=csrf)
    check(st == 200, "editor replaces the first watch point")
    writes.append(("watch_point.replace", f"watch_point:{w1['id']}"))
    st, _, lst = call("GET", "/api/v1/watch-points", cookie=view)
    got = {w["id"]: w for w in lst["watch_points"]}
    check(st == 200 and got[w1["id"]]["note"] == "水位計と連動して確認"
          and got[w1["id"]]["checklist"] == wp["checklist"] and got[w1["id"]]["geometry"]["type"] == "Point"
          and got[w2["id"]]["geometry"]["type"] == "Polygon", "staff see both with note, checklist and geometry")
    linked = {s["id"]: s for s in got[w1["id"]]["stations"]}
    check(got[w1["id"]]["station_ids"] == [gauge_id, cam_id] and set(linked) == {gauge_id, cam_id},
          "the watch point lists its linked gauge and camera")
    st, _, gf = call("GET", f"/api/v1/stations/{gauge_id}")
    gp, gl = gf["properties"], linked[gauge_id]
    check(gl["kind"] == "gauge" and gl["value"] == gp["value"] and gl["unit"] == gp["unit"]
          and gl["observed_at"] == gp["observed_at"] and gl["state"] == gp["state"] and gl["level"] == gp["level"],
          f"the gauge's latest reading, as /api/v1/stations says ({gl['value']} {gl['unit']}, {gl['state']})")
    cl = linked[cam_id]
    check(cl["kind"] == "camera" and cl["image_url"] == f"/api/v1/cameras/{cam_id}/latest.jpg"
          and cl["thumb_url"] == f"/api/v1/cameras/{cam_id}/thumb.jpg" and cl["captured_at"].endswith("+09:00"),
          "the camera's newest picture: capture time and the URLs of the picture and its thumbnail")
    check(got[w2["id"]]["stations"] == [], "the polygon has no links")
    st, _, _ = call("DELETE", f"/api/v1/watch-points/{w2['id']}", cookie=ed, csrf=csrf)
    check(st == 200, "editor deletes the polygon")
    writes.append(("watch_point.delete", f"watch_point:{w2['id']}"))
    st, _, lst = call("GET", "/api/v1/watch-points", cookie=view)
    check([w["id"] for w in lst["watch_points"]] == [w1["id"]], "one watch point is left")
    st, _, _ = call("GET", "/api/v1/watch-points")
    check(st == 401, "watch points are for staff only")

    # --- display token ---
    r = sonae(p.conf, "user", "display", "add", "wall1")
    tok = r.stdout.strip()
    check(r.returncode == 0 and len(tok) == 43, "sonae user display add prints a 43-character token")
    writes.append(("display.add", "display:wall1"))
    bearer = {"Authorization": f"Bearer {tok}"}
    st, _, m = call("GET", "/api/v1/auth/me", extra=bearer)
    check(st == 200 and m["role"] == "display", "the display token reads as the wall screen")
    s1 = SSE(p.port, headers=f"Authorization: Bearer {tok}\r\n")
    check(s1.status == 200, "the wall screen opens the event stream")
    s1.close()
    st, _, _ = call("POST", "/api/v1/orders", order4, csrf="x", extra=bearer)
    check(st == 403, "the display token cannot write")
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    st, _, _ = p.get("/metrics", proxied)
    st2, _, mt = p.get("/metrics", dict(proxied, Authorization=f"Bearer {tok}"))
    st3, _, _ = p.get("/metrics", dict(proxied, Cookie=ed))
    check(st == 403 and st2 == 200 and b"sonae_portal_up 1" in mt and st3 == 200,
          "/metrics through the proxy: refused alone, served with the display token or a staff session")
    st, _, _ = p.get("/metrics", dict(proxied, Authorization="Bearer " + "A" * 43))
    check(st == 403, "/metrics with a forged token is refused")
    st, hd, _ = call("POST", "/api/v1/auth/display", {"token": tok})
    dc = hd.get("set-cookie", "")
    check(st == 200 and dc.startswith("sonae_display=") and "HttpOnly" in dc,
          "the wall screen trades its token for an HttpOnly cookie")
    dcookie = dc.split(";")[0]
    st, _, _ = call("POST", "/api/v1/orders", order4, cookie=dcookie, csrf="x")
    check(st == 403, "the display cookie cannot write either")
    r = sonae(p.conf, "user", "display", "revoke", "wall1")
    check(r.returncode == 0, "display token revoked")
    writes.append(("display.revoke", "display:wall1"))
    st, _, _ = call("GET", "/api/v1/auth/me", extra=bearer)
    st2, _, _ = call("GET", "/api/v1/auth/me", cookie=dcookie)
    check(st == 401 and st2 == 401, "a revoked token and its cookie are refused at once")

    # --- disable and logout end sessions ---
    st, _, _ = call("POST", "/api/v1/auth/logout", {}, cookie=view)
    check(st == 403, "logout needs the CSRF token")
    st, hd, _ = call("POST", "/api/v1/auth/logout", {}, cookie=view, csrf=vme["csrf"])
    check(st == 200 and "Max-Age=0" in hd.get("set-cookie", ""), "logout clears the cookie")
    writes.append(("logout", "user:view1"))
    st, _, _ = call("GET", "/api/v1/auth/me", cookie=view)
    check(st == 401, "the old session is gone after logout")
    r = sonae(p.conf, "user", "disable", "ed1")
    check(r.returncode == 0, "sonae user disable ed1")
    writes.append(("user.disable", "user:ed1"))
    st, _, _ = call("GET", "/api/v1/auth/me", cookie=ed)
    check(st == 401, "disabling a user ends their session at once")
    st, _, _, _ = login("ed1")
    check(st == 401, "a disabled user cannot log in")
    r = sonae(p.conf, "user", "passwd", "view1", stdin="etsuran-pass-02\n")
    check(r.returncode == 0, "sonae user passwd view1")
    writes.append(("user.passwd", "user:view1"))
    st, _, _, _ = login("view1")
    check(st == 401, "the old password no longer works")
    PW["view1"] = "etsuran-pass-02"
    st, _, _, _ = login("view1")
    check(st == 200, "the new password works")

    # --- brute force: per account, then per address ---
    t0 = time.monotonic()
    codes = [login("op1", f"guess-{i:04d}-xx")[0] for i in range(5)]
    check(codes == [401] * 5, "five wrong passwords for op1 answer 401")
    st, _, js, _ = login("op1")
    check(st == 429 and "秒後" in js["error"]["message"],
          f"then even the right password is refused (429: {js['error']['message']})")
    st, _, _, _ = login("admin1")
    check(st == 200, "another account from the same address still logs in")
    n = 0
    while n < 30:
        st, _, _, _ = login(f"nobody{n}", "guess-password")
        n += 1
        if st == 429:
            break
    check(st == 429 and n >= 10, f"the address is slowed after {n} more failures over many names")
    st, _, _, _ = login("admin1")
    check(st == 429, "then the address cannot log in to any account for a while")
    check(time.monotonic() - t0 < 60 * SCALE, "the slow-down does not hang the server")

    # --- audit: one entry per write ---
    rows = store.q("SELECT actor, action, object, before_json, after_json FROM audit_log ORDER BY id")
    have = [(r[1], r[2]) for r in rows]
    missing = [w for w in writes if w not in have]
    check(not missing, f"every write of this test is in the audit log ({len(writes)} writes; missing {missing})")
    for w in set(writes):
        check(have.count(w) >= writes.count(w), f"audit: {w[0]} {w[1]} x{writes.count(w)}")
    lift = [r for r in rows if r[1] == "order.lift"][0]
    check(lift[0] == "ed1" and json.loads(lift[3])["lifted_at"] is None
          and json.loads(lift[4])["lifted_at"], "the lift entry has who, before and after")
    try:
        store.q("DELETE FROM audit_log")
        check(False, "the audit log refuses deletion")
    except Store.Error:
        check(True, "the audit log refuses deletion")

    # --- the audit log through the API (admin only) ---
    st, _, _ = call("GET", "/api/v1/audit")
    check(st == 401, "the audit log without login: 401")
    st, _, _ = call("GET", "/api/v1/audit", cookie=view)
    st2, _, _ = call("GET", "/api/v1/audit", cookie=op)
    check(st in (401, 403) and st2 == 403, "a viewer and a shelter operator may not read it")
    st, _, _ = call("GET", "/api/v1/audit", extra=bearer)
    check(st == 401, "nor a (revoked) display token")
    entries, url, pages = [], "/api/v1/audit?limit=7", 0
    while url and pages < 100:
        st, hd, js = call("GET", url, cookie=adm)
        if pages < 2:
            check(st == 200 and hd.get("cache-control") == "no-store" and len(js["entries"]) <= 7,
                  f"audit page {pages + 1}: 200, no-store, at most 7 entries")
        entries += js["entries"]
        url, pages = js["next"], pages + 1
    ids = [e["id"] for e in entries]
    check(pages > 2 and ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids) == len(rows),
          f"paging with limit=7 reads all {len(rows)} entries in {pages} pages, newest first, none twice")
    api_have = [(e["action"], e["object"]) for e in entries]
    missing = [w for w in writes if w not in api_have]
    check(not missing, f"every write of this test is in GET /api/v1/audit (missing {missing})")
    lift_e = [e for e in entries if e["action"] == "order.lift"][0]
    check(lift_e["actor"] == "ed1" and lift_e["before"]["lifted_at"] is None and lift_e["after"]["lifted_at"]
          and lift_e["at"].endswith("+09:00"), "an entry has who, when (+09:00), before and after as JSON")
    st, _, js = call("GET", "/api/v1/audit?user=ed1&limit=500", cookie=adm)
    check(st == 200 and js["entries"] and all(e["actor"] == "ed1" for e in js["entries"])
          and len(js["entries"]) == sum(1 for r in rows if r[0] == "ed1"), "user=ed1: ed1's entries only, all of them")
    st, _, js = call("GET", "/api/v1/audit?entity=order&limit=500", cookie=adm)
    check(st == 200 and {e["object"] for e in js["entries"]} == {f"order:{o4['id']}", f"order:{o5['id']}"},
          "entity=order: every order's entries")
    st, _, js = call("GET", f"/api/v1/audit?entity=order:{o4['id']}", cookie=adm)
    check(st == 200 and [e["action"] for e in js["entries"]] == ["order.lift", "order.issue"],
          "entity=order:ID: that order's issue and lift, newest first")
    st, _, js = call("GET", "/api/v1/audit?entity=timeline", cookie=adm)
    check(st == 200 and js["entries"] == [], "a kind with no entries: empty")
    t_lift = lift_e["at"].replace("+", "%2B")
    st, _, js = call("GET", f"/api/v1/audit?from={t_lift}&limit=500", cookie=adm)
    st2, _, js2 = call("GET", f"/api/v1/audit?to={t_lift}&limit=500", cookie=adm)
    check(st == 200 and st2 == 200 and len(js["entries"]) + len(js2["entries"]) == len(rows)
          and lift_e["id"] in [e["id"] for e in js["entries"]]
          and all(e["at"] >= lift_e["at"] for e in js["entries"]), "from and to split the log at a time")
    n_audit = len(rows)
    for q in ("entity=order'%20OR%201=1%20--", "user=ed1'%20OR%20'1'='1", "entity=%25", "entity=order:%25",
              "user=" + "x" * 65, "entity=a%00b", "limit=0", "limit=501", "limit=abc", "before=-1",
              "before=1%20OR%201=1", "from=yesterday", "to=2026-13-01T00:00:00Z",
              f"from={t_lift}&to={t_lift}"):
        st, _, js = call("GET", "/api/v1/audit?" + q, cookie=adm)
        check(st == 400 or (st == 200 and js["entries"] == []), f"hostile filter {q[:40]}: {st}, nothing leaks")
    check(len(store.q("SELECT id FROM audit_log")) == n_audit,
          "reading the audit log wrote nothing")

    log = p.log()
    check(all(v not in log for v in PW.values()) and tok not in log,
          "no password or token in the portal's log")
    p.daemon.signal(signal.SIGTERM)
    check(p.daemon.wait(5) == 0, "the daemon exits 0 (under ASan: no leak, no bad access)")
except Exception:
    print(p.log()[-3000:], p.daemon.proc.poll(), file=sys.stderr)
    raise
finally:
    if sse:
        sse.close()
    p.stop()
    store.close()

rmtree(d)
done(store.name("portal-writes"))
