"""/api/v1/hazard, /api/v1/addresses (and the picker) and the shelters
near-query against a real sonae-portald over a store filled with `sonae
import` (SpatiaLite, or with --postgis PostgreSQL: tests/integration/storeq.py): the real GSI shelters and JMA 鶴岡市 polygon
(../shared/fixtures/gis), JMA's code table, and the authored A31/A33
layers, districts and 位置参照情報 addresses of tests/fixtures/geo.

Expected values are worked out here from the fixture files themselves
(polygons as written in tests/fixtures/geo/make_fixtures.py, shelters
from the GSI GeoJSON with a haversine distance), not copied from the
server.  The access log must never hold the coordinates or the text
searched for.  The hostile-payload table of test_portal_hostile runs over
this store too, so the new routes meet it with data behind them."""

import json
import math
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portaltest import Portal, write_conf  # noqa: E402
from sonaetest import FIXTURES, SOURCE, check, done, exe, free_port, rmtree, tmpdir  # noqa: E402
from storeq import Store  # noqa: E402
import test_portal_hostile  # noqa: E402

AUTH = os.path.join(SOURCE, "tests", "fixtures", "geo")
GSI = os.path.join(FIXTURES, "gis", "shelters")
EMERGENCY = os.path.join(GSI, "gsi_emergency_062031_tsuruoka.geojson")


def sonae(conf, *args):
    p = subprocess.run([exe("sonae"), "-c", conf, *args], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"sonae {' '.join(args)}: {p.stderr}")
    return p.stdout


def fill_store(d, store, districts=True):
    """Every layer into the store; districts=False: the picker's store
    without districts, the areas and the addresses only."""
    conf = write_conf(d, free_port(), extra=store.conf)
    sonae(conf, "db", "migrate")
    sonae(conf, "import", "areas", os.path.join(FIXTURES, "jma_area_codes", "CityCode.csv"))
    sonae(conf, "import", "areas", os.path.join(FIXTURES, "gis", "jma_area_polygons",
                                                "class20_0620300_tsuruoka.geojson"))
    if districts:
        sonae(conf, "import", "districts", os.path.join(AUTH, "districts_6668.geojson"))
    sonae(conf, "import", "addresses", os.path.join(AUTH, "isj_oaza_06203_sjis.csv"))
    if not districts:
        return
    sonae(conf, "import", "shelters", EMERGENCY)
    sonae(conf, "import", "shelters", os.path.join(GSI, "gsi_evacuation_062031_tsuruoka.geojson"))
    sonae(conf, "import", "hazard", os.path.join(AUTH, "a31_max_6668.shp"), "--version", "2016")
    sonae(conf, "import", "hazard", os.path.join(AUTH, "a33_6668.geojson"), "--version", "2019")


def haversine(lon1, lat1, lon2, lat2):
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * r * math.asin(math.sqrt(a))


def gsi_suitable(flag):
    """Emergency shelters of the GSI file suitable for one hazard column."""
    with open(EMERGENCY, encoding="utf-8") as f:
        feats = json.load(f)["features"]
    return [(x["properties"]["共通ID"], x["properties"]["施設・場所名"], *x["geometry"]["coordinates"][:2])
            for x in feats if x["properties"].get(flag) == "1"]


def covers(geom, lon, lat):
    """Whether a GeoJSON (Multi)Polygon covers the point: even-odd over
    every ring, so holes count."""
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    inside = False
    for poly in polys:
        for ring in poly:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
                if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
    return inside


def get_json(p, path):
    st, h, body = p.get(path)
    return st, h, (json.loads(body) if body[:1] in (b"{", b"[") else body)


def q(s):
    return urllib.parse.quote(s, safe="")


def main():
    d = tmpdir("sonae-portal-geo-")
    d2 = tmpdir("sonae-portal-geo-towns-")
    p = p2 = None
    secrets = []  # what must never reach the log
    store = Store(d)
    try:
        fill_store(d, store)
        # One flood shelter far from the centre is opened by staff (the
        # status column staff set; no event is needed before the portal
        # starts).  Open ones must come first, whatever the distance.
        centre = (139.815, 38.73)  # in the rank-2 block of A31_flood_max
        flood = sorted(gsi_suitable("洪水"), key=lambda s: haversine(*centre, s[2], s[3]))
        check(len(flood) >= 6, f"the GSI file has flood-suitable shelters ({len(flood)})")
        far_open = flood[5]
        store.q("UPDATE shelters SET is_open = 1 WHERE common_id = ?", far_open[0])

        p = Portal(d, extra=store.conf)

        # Inside the rank-2 block (0.5–3.0 m), outside its hole.
        lon, lat = centre
        secrets += [f"{lat}", f"{lon}"]
        st, h, a = get_json(p, f"/api/v1/hazard?lat={lat}&lon={lon}")
        check(st == 200, f"hazard inside the flood polygon answers 200 ({st})")
        check(a["point"] == {"type": "Point", "coordinates": [lon, lat]}, "point echoed as GeoJSON lon,lat")
        check("0620300" in a["areas"] and a["area_name"] == "鶴岡市", f"areas hold 鶴岡市 ({a['areas']})")
        check({"0620311", "0620312"} <= set(a["areas"]) and a["split_unresolved"] and a["note_ja"],
              "土砂災害警戒情報 split codes listed, unresolved, with a note")
        check([(x["layer"], x["class"]) for x in a["hazards"]] == [("A31_flood_max", "2")],
              f"one hazard: A31_flood_max class 2 ({a['hazards']})")
        check(a["hazards"][0]["label_ja"] == "浸水深 0.5m以上3.0m未満", a["hazards"][0]["label_ja"])
        check(a["district_code"] == "D01" and a["district_name"] == "第一学区", "district 第一学区")
        check(a["level_in_force"] == {"jma": None, "river": None, "city_order": None},
              "nothing in force: every level null, not 0")
        check(list(a["shelters"]) == ["flood"], f"shelters for the hazard present only ({list(a['shelters'])})")
        sl = a["shelters"]["flood"]
        check(len(sl) == 3, f"three flood shelters ({len(sl)})")
        check(sl[0]["name"] == far_open[1] and sl[0]["open"] is True,
              f"the open shelter comes first although farther ({sl[0]['name']} vs {far_open[1]})")
        closed = [s for s in flood if s[0] != far_open[0]][:2]
        check([s["name"] for s in sl[1:]] == [s[1] for s in closed] and not any(s["open"] for s in sl[1:]),
              f"then the nearest closed ones by distance ({[s['name'] for s in sl[1:]]} vs {[s[1] for s in closed]})")
        check(all(abs(s["distance_m"] - haversine(lon, lat, *next((x[2], x[3]) for x in flood if x[1] == s["name"])))
                  < 0.01 * s["distance_m"] + 1 for s in sl), "distances agree with a haversine within 1 %")
        check(all(0 <= s["bearing_deg"] < 360 for s in sl) and sl[1]["distance_m"] <= sl[2]["distance_m"],
              "bearings 0–360, closed ones ordered by distance")
        check(all(set(s) >= {"id", "name", "distance_m", "bearing_deg", "open"} for s in sl),
              "each shelter has the contract fields")
        check(h.get("etag") and "public" in h.get("cache-control", "") and "max-age=30" in h["cache-control"],
              f"public and briefly cacheable ({h.get('cache-control')})")
        st304, _, _ = p.get(f"/api/v1/hazard?lat={lat}&lon={lon}", {"If-None-Match": h["etag"]})
        check(st304 == 304, f"If-None-Match answers 304 ({st304})")

        # The neighbouring rank-3 block (3.0–5.0 m).
        st, _, a = get_json(p, "/api/v1/hazard?lat=38.731&lon=139.831")
        a_rank3 = a
        check([(x["layer"], x["class"]) for x in a["hazards"]] == [("A31_flood_max", "3")],
              f"rank-3 block: class 3 ({a['hazards']})")
        check(a["district_code"] == "D03", "district 第三学区 there")
        secrets += ["38.731", "139.831"]

        # In the hole of the rank-2 block (high ground): no hazard, no shelters.
        st, _, a = get_json(p, "/api/v1/hazard?lat=38.7275&lon=139.8075")
        check(st == 200 and a["hazards"] == [] and a["shelters"] == {},
              f"in the polygon's hole: no hazard, no shelter list ({a['hazards']}, {a['shelters']})")
        check("0620300" in a["areas"], "the hole is still in 鶴岡市")
        secrets += ["38.7275", "139.8075"]

        # In the red zone inside the yellow one: the worst class, landslide shelters.
        st, _, a = get_json(p, "/api/v1/hazard?lat=38.703&lon=139.853")
        check([(x["layer"], x["class"]) for x in a["hazards"]] == [("A33_landslide", "red")],
              f"red zone inside the yellow one: red ({a['hazards']})")
        ls = a["shelters"].get("landslide", [])
        suit = sorted(gsi_suitable("崖崩れ、土石流及び地滑り"),
                      key=lambda s: haversine(139.853, 38.703, s[2], s[3]))
        # The opened shelter first if it suits this hazard too, then the
        # nearest closed ones.
        want = ([s for s in suit if s[0] == far_open[0]] + [s for s in suit if s[0] != far_open[0]])[:3]
        check([s["name"] for s in ls] == [w[1] for w in want],
              f"landslide shelters, nearest first ({[s['name'] for s in ls]} vs {[w[1] for w in want]})")

        # The same areas for maps: the OGC API collection "hazards".
        st, _, cols = get_json(p, "/api/v1/ogc/collections")
        check(st == 200 and any(c["id"] == "hazards" for c in cols["collections"]), "OGC collections list hazards")
        st, h, fc = get_json(p, "/api/v1/ogc/collections/hazards/items?bbox=139.82,38.72,139.84,38.74&limit=100")
        inside = [f for f in fc["features"] if covers(f["geometry"], 139.831, 38.731)]
        check(st == 200 and h["content-type"].startswith("application/geo+json")
              and [(f["properties"]["layer"], f["properties"]["class"]) for f in inside] == [("A31_flood_max", "3")]
              and inside[0]["properties"]["label_ja"] == a_rank3["hazards"][0]["label_ja"]
              and "国土交通省" in inside[0]["properties"]["attribution"],
              f"OGC hazards: the rank-3 block's polygon covers its point ({[f['properties'] for f in inside]})")
        st, _, one = get_json(p, f"/api/v1/ogc/collections/hazards/items/{inside[0]['id']}")
        check(st == 200 and one["geometry"] == inside[0]["geometry"], "OGC hazards item by id")
        st, _, _ = get_json(p, "/api/v1/ogc/collections/hazards/items/99999999")
        check(st == 404, f"OGC hazards: an unknown id is 404 ({st})")
        st, _, far = get_json(p, "/api/v1/ogc/collections/hazards/items?bbox=140.3,38.2,140.4,38.3")
        check(st == 200 and far["features"] == [], "OGC hazards: nothing in a box outside the layers")
        st, _, pg = get_json(p, "/api/v1/ogc/collections/hazards/items?limit=1")
        layers = {f["properties"]["layer"] for f in fc["features"]}
        check(len(pg["features"]) == 1 and any(lk["rel"] == "next" for lk in pg["links"]),
              f"OGC hazards: paged with a next link ({layers})")

        # Outside 鶴岡市 (山形市役所): no area, no hazard.
        st, _, a = get_json(p, "/api/v1/hazard?lat=38.2554&lon=140.3396")
        check(st == 200 and a["areas"] == [] and a["area_code"] is None and a["hazards"] == [],
              "outside the city: no area, no hazard")

        # Bad input: 400 with the parameter named.
        for path, what in (("/api/v1/hazard?lat=38.73", "lon missing"),
                           ("/api/v1/hazard?lon=139.8", "lat missing"),
                           ("/api/v1/hazard?lat=139.8&lon=38.73", "axes swapped"),
                           ("/api/v1/hazard?lat=91&lon=139.8", "lat out of range"),
                           ("/api/v1/hazard?lat=NaN&lon=139.8", "NaN"),
                           ("/api/v1/hazard?lat=38.7&lon=inf", "infinity"),
                           ("/api/v1/hazard?lat=38.7%00&lon=139.8", "NUL")):
            st, _, b = get_json(p, path)
            check(st == 400 and isinstance(b, dict) and "error" in b, f"hazard with {what}: 400 ({st})")

        # Shelters near a point (the map's "nearest" list).
        st, h, fc = get_json(p, f"/api/v1/shelters?lat={lat}&lon={lon}&hazard=flood&n=5")
        props = [f["properties"] for f in fc["features"]]
        check(st == 200 and len(props) == 5 and props[0]["name"] == far_open[1] and props[0]["open"],
              "shelters near: the open one first")
        check([x["name"] for x in props[1:]] == [s[1] for s in flood if s[0] != far_open[0]][:4],
              "shelters near: then the nearest closed ones by distance")
        check(all("distance_m" in x and "linked" in x for x in props), "distance and linked 指定避難所 given")
        linked = [x for x in props if x["linked"]]
        check(all(x["linked"]["name"] for x in linked), "a linked 指定避難所 has its name")
        st, _, _ = get_json(p, f"/api/v1/shelters?lat={lat}&lon={lon}")
        check(st == 400, "shelters near without hazard: 400")
        st, _, _ = get_json(p, f"/api/v1/shelters?lat={lat}&hazard=flood")
        check(st == 400, "shelters with lat but no lon: 400")
        st, _, fc = get_json(p, "/api/v1/shelters?hazard=flood")
        check(st == 200 and len(fc["features"]) >= len(flood),
              "the plain list still answers without a point")

        # Address search: full-width digits, kanji numerals, kana, house numbers.
        for text, first in (("本町一丁目", "本町一丁目"),
                            ("本町１丁目", "本町一丁目"),
                            ("本町2丁目", "本町二丁目"),
                            ("道形町１２丁目", "道形町十二丁目"),
                            ("ホナミ", "ほなみ町"),
                            ("本町３－４－５", "本町三丁目"),
                            ("　大山 二丁目", "大山二丁目")):
            st, h, r = get_json(p, "/api/v1/addresses?q=" + q(text))
            got = [x["town"] for x in r.get("addresses", [])] if st == 200 else st
            check(st == 200 and got and got[0] == first, f"address search {text!r} → {first} first ({got})")
            secrets.append(text)
        x = r["addresses"][0]
        check(x["label"] == "山形県鶴岡市大山二丁目" and abs(x["lat"] - 38.743) < 1e-6
              and abs(x["lon"] - 139.7605) < 1e-6, "label and point of the hit")
        st, _, r = get_json(p, "/api/v1/addresses?q=" + q("存在しない町名"))
        check(st == 200 and r["addresses"] == [], "no hit: an empty list")
        st, _, _ = get_json(p, "/api/v1/addresses?q=" + "a" * 201)
        check(st == 400, "over 200 bytes: 400")
        st, _, _ = get_json(p, "/api/v1/addresses")
        check(st == 400, "without q: 400")

        # The picker: districts, then their 町丁目.
        st, _, r = get_json(p, "/api/v1/addresses/districts")
        codes = {x["code"]: x for x in r["districts"]}
        check(st == 200 and set(codes) == {"D01", "D03"} and codes["D01"]["name"] == "第一学区",
              f"picker districts ({list(codes)})")
        check(all(isinstance(x["id"], int) and x["id"] > 0 for x in codes.values()),
              f"picker districts carry their id ({list(codes.values())})")
        st, _, r = get_json(p, "/api/v1/addresses/districts/D01")
        towns = [x["town"] for x in r["addresses"]]
        check(st == 200 and "本町一丁目" in towns and "ほなみ町" not in towns
              and len(towns) == codes["D01"]["n_towns"], f"町丁目 of 第一学区 ({towns})")
        st, _, _ = get_json(p, "/api/v1/addresses/districts/D99")
        check(st == 404, "an unknown district: 404")

        # Hostile table over this store: the new routes with real data.
        n = test_portal_hostile.run(p, {"id": "1", "collectionId": "shelters", "featureId": "1",
                                        "code": "D01"}, store_bytes=store.all_bytes,
                                   label="geo store")
        check(n > 100, f"{n} hostile requests over the geo store")

        # The log: paths only, never a place or an address.
        log = p.log()
        check('"GET /api/v1/hazard"' in log and '"GET /api/v1/addresses"' in log,
              "hazard and addresses requests are in the access log")
        leaked = [s for s in secrets if s in log or q(s) in log]
        check(not leaked, f"the log holds no coordinates nor address text ({leaked})")
        check("lat=" not in log and "q=" not in log, "no query string of hazard/addresses/shelters")
        p.stop()
        p = None

        # Without districts the picker lists 大字・町 names; their codes
        # must survive as one path segment.
        store2 = store.beside(d2, "towns")
        fill_store(d2, store2, districts=False)
        p2 = Portal(d2, extra=store2.conf)
        st, _, r = get_json(p2, "/api/v1/addresses/districts")
        names = {x["name"]: x["code"] for x in r["districts"]}
        check(st == 200 and "本町" in names and names["本町"].startswith("town-"),
              f"picker without districts: towns ({list(names)[:4]})")
        check(all(x["id"] is None and x["area_code"] is None for x in r["districts"]),
              "a town stand-in has no district id nor area")
        check(all(all(ch.isalnum() or ch in "_.:-" for ch in c) for c in names.values()),
              "every picker code is a valid path segment")
        st, _, r = get_json(p2, "/api/v1/addresses/districts/" + names["本町"])
        towns = [x["town"] for x in r.get("addresses", [])]
        check(st == 200 and towns == ["本町一丁目", "本町二丁目", "本町三丁目"], f"本町 → its 丁目 ({towns})")
        for bad in ("town-zz", "town-e69", "town-00", "town-ff"):
            st, _, _ = get_json(p2, "/api/v1/addresses/districts/" + bad)
            check(st == 400, f"broken town code {bad}: 400 ({st})")
    finally:
        for x in (p, p2):
            if x:
                x.stop()
        store.close()
        rmtree(d)
        rmtree(d2)
    return done(store.name("portal-geo"))


if __name__ == "__main__":
    sys.exit(main())
