"""マイ・タイムライン against a real sonae-portald and store: the plan is
stored encrypted (the test reads everything the store holds, the
SpatiaLite file and its WAL or with --postgis a pg_dump of the database,
and finds no address, note, action or token there, neither as text nor as
the hex PostgreSQL writes a bytea in, while the district's name and the
plan's ciphertext are there), a wrong token reads nothing, the token never
works from a URL, consent is needed for a server save, delete and the
2-year expiry remove plans, staff counts by district suppress cells under
5, and every save and delete is in the audit log.  The store and its reads
come from tests/integration/storeq.py."""

import json
import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal, write_conf  # noqa: E402
from sonaetest import SCALE, SOURCE, check, done, exe, rmtree, tmpdir  # noqa: E402
from storeq import Store  # noqa: E402

DISTRICTS = os.path.join(SOURCE, "tests", "fixtures", "geo", "districts_6668.geojson")
ADDRESS = "山形県鶴岡市馬場町9番25号"
NOTE = "祖母は車椅子、玄関の段差に注意"

d = tmpdir("sonae-portal-timelines-")
store = Store(d)
conf = write_conf(d, 0, extra=store.conf)
p = None
try:
    r = subprocess.run([exe("sonae"), "-c", conf, "import", "districts", DISTRICTS],
                       capture_output=True, text=True, timeout=60 * SCALE)
    check(r.returncode == 0, f"two 学区 imported for the counts: {r.stderr.strip()}")
    dist = [x[0] for x in store.q("SELECT id FROM districts ORDER BY id")]
    r = subprocess.run([exe("sonae"), "-c", conf, "user", "add", "view1", "--role", "viewer"],
                       input="etsuran-pass-01\n", capture_output=True, text=True, timeout=60 * SCALE)
    check(r.returncode == 0, "a viewer for the staff counts")
    p = Portal(d, extra=store.conf)

    def call(method, path, body=None, token=None, extra=None):
        h = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            h["X-Timeline-Token"] = token
        h.update(extra or {})
        st, hd, data = p.get(path, h, method=method,
                             body=json.dumps(body).encode() if body is not None else None)
        return st, hd, json.loads(data) if data else None

    st, hd, c = call("GET", "/api/v1/timeline/consent")
    check(st == 200 and "暗号化" in c["text_ja"] and "5件未満" in c["text_ja"] and c["version"],
          "the Japanese consent text is served")
    version = c["version"]
    tok = secrets.token_urlsafe(32)
    plan = {"home": {"lon": 139.8267, "lat": 38.7275, "address": ADDRESS},
            "household": NOTE,
            "actions": {"3": "祖母と一緒に朝暘第一小学校へ避難を始める", "4": "全員避難完了", "5": ""}}
    st, _, _ = call("PUT", "/api/v1/timeline", {"plan": plan, "district_id": dist[0]}, token=tok)
    check(st == 428, "a server save without consent is refused (428)")
    st, _, _ = call("PUT", "/api/v1/timeline", {"plan": plan, "consent": version}, token="short")
    check(st == 400, "a token under 256 bits is refused")
    st, _, _ = call("PUT", f"/api/v1/timeline?token={tok}", {"plan": plan, "consent": version})
    check(st == 400, "a token in the URL is not taken")
    st, _, js = call("PUT", "/api/v1/timeline", {"plan": plan, "consent": version, "district_id": dist[0]},
                     token=tok)
    check(st == 200 and js["levels_mask"] == (1 << 3) | (1 << 4), "saved; levels 3 and 4 have actions (5 is empty)")
    st, _, got = call("GET", "/api/v1/timeline", token=tok)
    check(st == 200 and got["plan"] == plan and got["district_id"] == dist[0], "the token reads the plan back")
    st, _, got = call("GET", "/api/v1/timeline", token=secrets.token_urlsafe(32))
    check(st == 404 and "plan" not in got, "a wrong token reads nothing")
    st, _, _ = call("GET", "/api/v1/timeline")
    check(st == 400, "no token, no plan")

    raw = store.all_bytes(60 * SCALE)

    def held(b):
        """b in what the store holds: as it is, or as the hex of a bytea in a dump."""
        return b in raw or b.hex().encode() in raw

    secret = [ADDRESS.encode(), NOTE.encode(), "朝暘第一小学校へ".encode(), tok.encode()]
    check(len(raw) > 0 and not any(held(b) for b in secret),
          f"the store ({len(raw)} bytes) holds no address, note, action or token in clear")
    names = [x[0] for x in store.q("SELECT name FROM districts ORDER BY id")]
    ct = store.q("SELECT ciphertext FROM timelines")
    check(names[0] == "第一学区" and names[0].encode() in raw and len(ct) == 1
          and isinstance(ct[0][0], bytes) and held(ct[0][0]),
          "what was read is the store: the district's name and the plan's ciphertext are in it")
    row = store.q("SELECT length(token_hash), levels_mask, district_id FROM timelines")
    check(row == [(32, 24, dist[0])], "the store keeps a 32-byte hash, the levels and the district")

    # --- counts: 6 plans in the first district (2 with level 5), 2 in the second ---
    toks = [secrets.token_urlsafe(32) for _ in range(7)]
    for i, t in enumerate(toks):
        acts = {"3": "避難準備", "4": "避難"} if i < 5 else {"3": "避難準備", "5": "垂直避難"}
        dd = dist[0] if i < 5 else dist[1]
        st, _, _ = call("PUT", "/api/v1/timeline", {"plan": {"actions": acts}, "consent": version,
                                                    "district_id": dd}, token=t)
        check(st == 200, f"plan {i + 2} saved")
    st, _, _ = call("GET", "/api/v1/timeline/stats")
    check(st == 401, "the counts are for staff only")
    st, hd, _ = call("POST", "/api/v1/auth/login", {"name": "view1", "password": "etsuran-pass-01"})
    cookie = hd["set-cookie"].split(";")[0]
    st, _, s = call("GET", "/api/v1/timeline/stats", extra={"Cookie": cookie})
    by = {x["district_id"]: x for x in s["districts"]}
    a, b = by[dist[0]], by[dist[1]]
    check(a["plans"] == 6 and a["per_level"]["3"] == 6 and a["per_level"]["4"] == 6,
          "district 1: 6 plans, 6 with actions at levels 3 and 4")
    check(a["per_level"]["5"] is None and a["per_level"]["1"] is None,
          "cells under 5 (level 5: 0, level 1: 0) are suppressed")
    check(b["plans"] is None and all(v is None for v in b["per_level"].values()),
          "district 2 (2 plans) is suppressed entirely")

    # --- delete and expiry ---
    st, _, _ = call("DELETE", "/api/v1/timeline", token=tok)
    check(st == 200, "the resident deletes the plan")
    st, _, _ = call("GET", "/api/v1/timeline", token=tok)
    check(st == 404, "a deleted plan is gone")
    st, _, _ = call("DELETE", "/api/v1/timeline", token=tok)
    check(st == 404, "deleting again answers 404")
    three_years = 3 * 365 * 86400
    store.q("UPDATE timelines SET updated_at = updated_at - ?, created_at = created_at - ? "
            "WHERE district_id = ?", three_years, three_years, dist[1])
    st, _, s = call("GET", "/api/v1/timeline/stats", extra={"Cookie": cookie})
    check(dist[1] not in {x["district_id"] for x in s["districts"]},
          "plans untouched for over 2 years are removed")
    st, _, _ = call("GET", "/api/v1/timeline", token=toks[5])
    check(st == 404, "an expired plan reads nothing")

    acts = [r[0] for r in store.q("SELECT action FROM audit_log")]
    check(acts.count("timeline.save") == 8 and acts.count("timeline.delete") == 1,
          "every save (8) and the delete are in the audit log")
    log = p.log()
    check(tok not in log and all(t not in log for t in toks) and ADDRESS not in log,
          "no token or address in the portal's log")
finally:
    if p:
        p.stop()
    store.close()

rmtree(d)
done(store.name("portal-timelines"))
