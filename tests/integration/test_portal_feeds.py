"""status, alerts, shelters, the CAP feed and OGC shelters, against a store
filled from real data: the 山形県 2024-07-25 大雨特別警報 telegram (VPWW54),
the 国土地理院 shelters of 鶴岡市, and city orders and a notice written
through the store API.  Expectations are computed from the fixtures
themselves (xml.etree, json), not copied."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal  # noqa: E402
from sonaetest import BUILD, FIXTURES, check, done, rmtree, tmpdir, wait_for  # noqa: E402

SEED = os.path.join(BUILD, "tests", "portal-seed")
TELEGRAM = os.path.join(FIXTURES, "jma_xml", "operational", "20240725040511_0_VPWW54_060000.xml")
SHELTERS = os.path.join(FIXTURES, "gis", "shelters", "gsi_emergency_062031_tsuruoka.geojson")
XSD = os.path.join(FIXTURES, "cap", "CAP-v1.2.xsd")
JST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")


def seed(*args):
    r = subprocess.run([SEED, *map(str, args)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r.stdout.split()[1:]


def expected_kinds(area):
    """Kinds in force for an area in the telegram, read with ElementTree."""
    ns = {"b": "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/"}
    root = ET.parse(TELEGRAM).getroot()
    kinds = {}
    for w in root.iter("{%s}Warning" % ns["b"]):
        for item in w.findall("b:Item", ns):
            codes = [a.findtext("b:Code", namespaces=ns) for a in item.findall("b:Area", ns)]
            if area not in codes:
                continue
            for k in item.findall("b:Kind", ns):
                st = k.findtext("b:Status", namespaces=ns)
                if st and st != "解除" and k.findtext("b:Code", namespaces=ns):
                    kinds[k.findtext("b:Code", namespaces=ns)] = k.findtext("b:Name", namespaces=ns)
    return kinds


def xmllint(xml_bytes, schema=True):
    with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as f:
        f.write(xml_bytes)
        path = f.name
    try:
        args = ["xmllint", "--noout"] + (["--schema", XSD] if schema else []) + [path]
        return subprocess.run(args, capture_output=True).returncode
    finally:
        os.unlink(path)


d = tmpdir("sonae-portal-feeds-")
db = os.path.join(d, "sonae.db")
now = int(time.time())
rows, areas = map(int, seed(db, "alerts", now - 600, TELEGRAM))
n_shelters = int(seed(db, "shelters", SHELTERS)[0])
order4 = int(seed(db, "order", "0620300", 4)[0])
order3 = int(seed(db, "order", "0620400", 3)[0])
seed(db, "lift", order3)
drill = int(seed(db, "order", "0620500", 5, "exercise")[0])
seed(db, "notice", "0620300", "避難所開設", "朝暘第一小学校を避難所として開設しました。")
p = Portal(d)
try:
    check(rows > 30 and areas > 20, f"{rows} alert rows in {areas} areas from the telegram")

    # --- status ---
    st, h, body = p.get("/api/v1/status")
    s = json.loads(body)
    check(st == 200 and h.get("cache-control") == "public, max-age=30" and h.get("etag"),
          "status: public, max-age 30, ETag")
    by = {a["area_code"]: a for a in s["areas"]}
    t = by.get("0620300")
    check(t is not None and t["area_name"] == "鶴岡市", "鶴岡市 is in the status")
    want = expected_kinds("0620300")
    check({k["code"]: k["name"] for k in t["kinds"]} == want, f"its kinds are the telegram's: {sorted(want.values())}")
    check(t["order"] == {"level": 4, "name_ja": "避難指示", "issued_at": t["order"]["issued_at"]}
          and JST.match(t["order"]["issued_at"]), "the city's order 避難指示 (L4) beside JMA's kinds")
    check(all(set(a) == {"area_code", "area_name", "level", "exercise", "kinds", "order", "orders",
                         "updated_at"} for a in s["areas"]), "every area has the contract's fields")
    check([(o["level"], o["district_id"]) for o in t["orders"]] == [(4, None)]
          and t["orders"][0]["issued_at"] == t["order"]["issued_at"],
          "orders lists the area-wide 避難指示 once, with no district")
    check("0620500" not in by or by["0620500"]["order"] is None, "a drill order stays out of the real status")
    check(len(s["notices"]) == 1 and s["notices"][0]["title_ja"] == "避難所開設", "the public notice is listed")
    check(len(body) < 64 * 1024, f"the status document is small ({len(body)} bytes)")
    st2, _, _ = p.get("/api/v1/status", {"If-None-Match": h["etag"]})
    check(st2 == 304, "status answers 304 to its ETag")
    seed(db, "order", "0620600", 3)
    check(wait_for(lambda: p.get("/api/v1/status", {"If-None-Match": h["etag"]})[0] == 200, 2),
          "a new order changes the status within 2 s")

    # --- alerts ---
    st, _, body = p.get("/api/v1/alerts?area=0620300")
    a = json.loads(body)["areas"]
    check(st == 200 and [x["area_code"] for x in a] == ["0620300"], "alerts?area= filters")
    st, _, body = p.get("/api/v1/alerts?min_level=5")
    l5 = json.loads(body)["areas"]
    check(l5 and all(x["level"] == 5 or (x["order"] or {}).get("level") == 5 for x in l5)
          and "0620300" not in [x["area_code"] for x in l5],
          f"min_level=5: the 特別警報 areas ({', '.join(x['area_name'] for x in l5)})")
    st, _, body = p.get("/api/v1/alerts/history")
    hist = json.loads(body)["alerts"]
    check(len(hist) == rows and all(JST.match(x["report_at"]) for x in hist),
          f"history: all {rows} rows, times +09:00")
    check(any(x["kind_name"] == "大雨特別警報" and x["level"] == 5 for x in hist), "大雨特別警報 at level 5")

    # --- shelters ---
    st, h, body = p.get("/api/v1/shelters")
    fc = json.loads(body)
    check(st == 200 and h["content-type"] == "application/geo+json" and len(fc["features"]) == n_shelters == 535,
          "all 535 shelters of 鶴岡市 as GeoJSON")
    src = json.load(open(SHELTERS, encoding="utf-8"))["features"]
    n_flood = sum(1 for f in src if f["properties"]["洪水"] == "1")
    st, _, body = p.get("/api/v1/shelters?hazard=flood")
    check(len(json.loads(body)["features"]) == n_flood, f"hazard=flood: {n_flood}, as the fixture's 洪水 column")
    f0 = fc["features"][0]
    check(set(f0["properties"]["hazards"]) == {"flood", "landslide", "storm_surge", "earthquake", "tsunami",
                                               "fire", "inland_flood", "volcano"}
          and f0["properties"]["open"] is False, "suitability per hazard; closed until staff open it")
    check("国土地理院" in fc["attribution"], "attribution 国土地理院")
    st, _, body = p.get("/api/v1/ogc/collections/shelters/items?limit=200")
    page = json.loads(body)
    check(page["numberMatched"] == 535 and len(page["features"]) == 200
          and any(lk["rel"] == "next" for lk in page["links"]), "OGC shelters: paged with a next link")

    st, _, body = p.get("/api/v1/ogc/collections/alerts/items?limit=1000")
    page = json.loads(body)
    feats = {f["id"]: f for f in page["features"]}
    check(st == 200 and "0620300" in feats and feats["0620300"]["geometry"] is None
          and feats["0620300"]["properties"] == t, "OGC alerts: one feature per area, as in the status")
    st, _, body = p.get("/api/v1/ogc/collections/alerts/items/0620300")
    check(st == 200 and json.loads(body)["properties"]["order"]["level"] == 4, "OGC alerts item by area code")

    # --- CAP ---
    st, h, feed = p.get("/api/v1/cap.atom")
    check(st == 200 and h["content-type"].startswith("application/atom+xml"), "the CAP feed is Atom")
    check(len(feed) < 900 * 1000, f"the feed is under 900 KB ({len(feed)} bytes)")
    check(xmllint(feed, schema=False) == 0, "the feed is well-formed XML")
    alerts = re.findall(rb"<alert xmlns=.*?</alert>", feed, re.S)
    check(len(alerts) >= rows, f"{len(alerts)} CAP messages (one per alert and order)")
    bad = [i for i, m in enumerate(alerts) if xmllint(b'<?xml version="1.0" encoding="UTF-8"?>\n' + m) != 0]
    check(not bad, "every message validates against the CAP 1.2 XSD")
    msgs = {re.search(rb"<identifier>(.*?)</identifier>", m).group(1).decode(): m.decode() for m in alerts}
    o4 = msgs.get(f"urn:sonae:order:{order4}", "")
    check("<msgType>Alert</msgType>" in o4 and "<responseType>Evacuate</responseType>" in o4
          and "<senderName>鶴岡市</senderName>" in o4 and "<value>0620300</value>" in o4,
          "the L4 order: Alert, Evacuate, sender the city, geocode 0620300")
    lifted = msgs.get(f"urn:sonae:order:{order3}:lifted", "")
    check("<msgType>Update</msgType>" in lifted and "<responseType>AllClear</responseType>" in lifted
          and "<urgency>Past</urgency>" in lifted and f"urn:sonae:order:{order3}," in lifted,
          "the lifted order: Update, AllClear, Past, referencing the order")
    check(not any(f"urn:sonae:order:{drill}" in k for k in msgs), "the drill order is not in the real feed")
    special = [m for m in msgs.values() if "<event>大雨特別警報</event>" in m]
    check(special and all("<severity>Extreme</severity>" in m for m in special), "大雨特別警報 is Extreme")
    check(all("<status>Actual</status>" in m for m in msgs.values()), "status 通常 → Actual")
    ident = f"urn:sonae:order:{order4}"
    st, h, one = p.get(f"/api/v1/cap/{ident}")
    check(st == 200 and h["content-type"].startswith("application/cap+xml") and xmllint(one) == 0,
          "one message by identifier, valid")
    st, _, _ = p.get("/api/v1/cap/urn:sonae:order:999999")
    check(st == 404, "an unknown identifier is 404")
    p.daemon.signal(signal.SIGTERM)
    check(p.daemon.wait(5) == 0, "the daemon exits 0 (under ASan: no leak, no bad access)")
finally:
    p.stop()
    rmtree(d)
done("test_portal_feeds")
