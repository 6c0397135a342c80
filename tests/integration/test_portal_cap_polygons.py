"""CAP polygons from the store: the 鶴岡市 area imported with `sonae import
areas` from the real JMA polygon, alerts from the real 山形県 telegram.
Every message of 鶴岡市 carries its geocode and polygons in CAP's "lat,lon"
order, closed, with at least 4 points, and 鶴岡市役所 lies inside them
(山形市役所 does not); messages of areas without geometry keep the geocode
alone.  Then a storm's worth of messages for 鶴岡市: the feed simplifies
further and stays under 900 KB, the polygons still hold the city hall,
and the messages still validate (xmllint --schema with the OASIS XSD)."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal, write_conf  # noqa: E402
from sonaetest import BUILD, FIXTURES, SCALE, SOURCE, check, done, exe, rmtree, tmpdir, wait_for  # noqa: E402

SEED = os.path.join(BUILD, "tests", "portal-seed")
TELEGRAM = os.path.join(FIXTURES, "jma_xml", "operational", "20240725040511_0_VPWW54_060000.xml")
CITYCODE = os.path.join(FIXTURES, "jma_area_codes", "CityCode.csv")
POLYGON = os.path.join(FIXTURES, "gis", "jma_area_polygons", "class20_0620300_tsuruoka.geojson")
DISTRICTS = os.path.join(SOURCE, "tests", "fixtures", "geo", "districts_6668.geojson")
XSD = os.path.join(FIXTURES, "cap", "CAP-v1.2.xsd")
CITY_HALL = (38.7275, 139.8267)  # 鶴岡市役所, lat, lon
YAMAGATA = (38.2554, 140.3396)  # 山形市役所: not in 鶴岡市


def seed(db, *args):
    r = subprocess.run([SEED, db, *map(str, args)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r.stdout.split()[1:]


def xmllint(xml_bytes):
    with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as f:
        f.write(b'<?xml version="1.0" encoding="UTF-8"?>\n' + xml_bytes)
        path = f.name
    try:
        return subprocess.run(["xmllint", "--noout", "--schema", XSD, path], capture_output=True).returncode
    finally:
        os.unlink(path)


def polygons(msg):
    """Each <polygon> as a list of (lat, lon) floats."""
    out = []
    for text in re.findall(rb"<polygon>(.*?)</polygon>", msg, re.S):
        out.append([tuple(float(x) for x in pair.split(b",")) for pair in text.split()])
    return out


def inside(poly, pt):
    """Even-odd rule on (lat, lon) pairs."""
    y, x = pt
    c = False
    for (ay, ax), (by, bx) in zip(poly, poly[1:]):
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            c = not c
    return c


def messages(feed):
    return re.findall(rb"<alert xmlns=.*?</alert>", feed, re.S)


def of_area(msgs, code):
    return [m for m in msgs if b"<value>" + code.encode() + b"</value>" in m]


d = tmpdir("sonae-portal-cap-")
db = os.path.join(d, "sonae.db")
now = int(time.time())
rows, areas = map(int, seed(db, "alerts", now - 3600, TELEGRAM))
conf = write_conf(d, 0)
for kind, f in (("areas", CITYCODE), ("areas", POLYGON), ("districts", DISTRICTS)):
    r = subprocess.run([exe("sonae"), "-c", conf, "import", kind, f], capture_output=True, text=True,
                       timeout=120 * SCALE)
    check(r.returncode == 0, f"sonae import {kind} {os.path.basename(f)}: {r.stderr.strip()[-200:]}")
dorder = int(seed(db, "dorder", "D01", 3)[0])
p = Portal(d)
try:
    st, h, feed = p.get("/api/v1/cap.atom")
    msgs = messages(feed)
    check(st == 200 and len(msgs) >= rows, f"the feed has {len(msgs)} messages for {rows} alert rows")
    check(len(feed) < 900 * 1000, f"the feed is under 900 KB ({len(feed)} bytes)")
    tsuruoka = of_area(msgs, "0620300")
    check(tsuruoka, f"{len(tsuruoka)} messages for 鶴岡市 (geocode 0620300)")
    check(all(b"<valueName>JMA</valueName>" in m and polygons(m) for m in tsuruoka),
          "every 鶴岡市 message carries the JMA geocode and polygons")
    polys = polygons(tsuruoka[0])
    fine_points = sum(len(q) for q in polys)
    check(all(len(q) >= 4 and q[0] == q[-1] for q in polys),
          f"{len(polys)} polygons, each a closed ring of 4 points or more ({fine_points} points)")
    check(all(38.3 < lat < 38.9 and 139.5 < lon < 140.1 for q in polys for lat, lon in q),
          "pairs are \"lat,lon\" (latitude first) and lie around 鶴岡市")
    check(any(inside(q, CITY_HALL) for q in polys), "鶴岡市役所 (38.7275 N, 139.8267 E) is inside a polygon")
    check(not any(inside(q, YAMAGATA) for q in polys), "山形市役所 is inside none")
    sakata = of_area(msgs, "0620400")
    check(sakata and all(b"<polygon>" not in m and b"<geocode>" in m for m in sakata),
          "酒田市 (no geometry imported) keeps its geocode and has no polygon")
    check(all(xmllint(m) == 0 for m in tsuruoka[:5] + sakata[:2]),
          "the messages with polygons validate against the CAP 1.2 XSD")
    dmsg = [m for m in msgs if f"<identifier>urn:sonae:order:{dorder}</identifier>".encode() in m]
    dpolys = polygons(dmsg[0]) if dmsg else []
    check(dmsg and b"<areaDesc>" in dmsg[0] and "第一学区".encode() in dmsg[0] and b"<geocode>" not in dmsg[0],
          "a district order (第一学区): areaDesc names the district, no city-wide geocode")
    check(len(dpolys) == 1 and dpolys[0][0] == dpolys[0][-1] and len(dpolys[0]) >= 4
          and inside(dpolys[0], CITY_HALL) and not inside(dpolys[0], (38.7275, 139.84)),
          "its polygon is the district's (holds 鶴岡市役所, not a point of 第三学区)")
    check(xmllint(dmsg[0]) == 0, "the district order's message validates")
    ident = re.search(rb"<identifier>(.*?)</identifier>", tsuruoka[0]).group(1).decode()
    st, h, one = p.get(f"/api/v1/cap/{ident}")
    check(st == 200 and polygons(one) and len(one) < 900 * 1000 and xmllint(one.split(b"\n", 1)[1]) == 0,
          f"one message alone ({len(one)} bytes) has its polygons and validates")

    # --- the same geometry in OGC API Features (lon/lat, holes kept) ---
    st, _, body = p.get("/api/v1/ogc/collections/alerts/items/0620300")
    g = json.loads(body)["geometry"]
    rings = [poly[0] for poly in g["coordinates"]] if g else []
    check(st == 200 and g["type"] == "MultiPolygon" and len(body) < 300 * 1000,
          f"OGC alerts/0620300 has the area's MultiPolygon, simplified ({len(body)} bytes)")
    check(any(inside([(y, x) for x, y in r], CITY_HALL) for r in rings)
          and all(139.5 < x < 140.1 and 38.3 < y < 38.9 for r in rings for x, y in r),
          "in GeoJSON's lon,lat order, holding 鶴岡市役所")
    st, _, body = p.get("/api/v1/ogc/collections/alerts/items?bbox=139.82,38.72,139.83,38.73")
    ids = [f["id"] for f in json.loads(body)["features"]]
    check(st == 200 and ids == ["0620300"], f"a bbox around the city hall selects 鶴岡市 only ({ids})")
    st, _, body = p.get("/api/v1/ogc/collections/alerts/items?bbox=139.6,35.6,139.8,35.7")
    check(st == 200 and json.loads(body)["features"] == [], "a bbox in Tokyo selects none")
    st, _, body = p.get("/api/v1/ogc/collections/alerts/items/0620400")
    check(st == 200 and json.loads(body)["geometry"] is None, "酒田市 (no geometry imported): geometry null")

    # A long storm: 350 more messages of 鶴岡市, each with the whole city.
    seed(db, "burst", "0620300", "鶴岡市", 350, now - 1800)
    check(wait_for(lambda: len(messages(p.get("/api/v1/cap.atom")[2])) >= len(msgs) + 300, 10),
          "the new messages reach the feed")
    st, h, feed2 = p.get("/api/v1/cap.atom")
    msgs2 = messages(feed2)
    check(st == 200 and len(feed2) < 900 * 1000,
          f"{len(msgs2)} messages: the feed stays under 900 KB ({len(feed2)} bytes)")
    t2 = of_area(msgs2, "0620300")
    polys2 = polygons(t2[0])
    coarse = sum(len(q) for q in polys2)
    check(polys2 and coarse < fine_points, f"polygons simplified further ({fine_points} → {coarse} points)")
    check(all(polygons(m) == polys2 for m in t2), "every 鶴岡市 message still carries them")
    check(all(len(q) >= 4 and q[0] == q[-1] for q in polys2) and any(inside(q, CITY_HALL) for q in polys2),
          "still closed rings of 4 points or more holding 鶴岡市役所")
    sample = msgs2[::25]
    check(all(xmllint(m) == 0 for m in sample), f"a sample of {len(sample)} messages validates against the XSD")
    p.daemon.signal(signal.SIGTERM)
    check(p.daemon.wait(5) == 0, "the daemon exits 0 (under ASan: no leak, no bad access)")
finally:
    p.stop()
    rmtree(d)
done("portal-cap-polygons")
