"""Walking routes in /api/v1/hazard and the vector tiles of
/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt against a real sonae-portald over a
store filled with `sonae import` (SpatiaLite, or with --postgis
PostgreSQL: tests/integration/storeq.py).

Authored here (tests/fixtures/SOURCES.md): a 21 x 21 street grid of
GeoJSON lines 50 m apart in 鶴岡市, one shelter in the GSI 指定緊急避難場所
GeoJSON shape (its property names read from the real GSI file), and a
flood layer of two polygons: a small one around the resident's crossing
(so the flood is the hazard there) and a large one between it and the
shelter.  The expected walk is this file's own Dijkstra over the grid it
wrote, with the same rule (an edge touching the flood costs 1001 times its
length); the expected tile bytes are read from the store itself.  The access log must never hold the position asked about."""

import heapq
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portaltest import Portal, write_conf  # noqa: E402
from sonaetest import FIXTURES, check, done, exe, free_port, rmtree, tmpdir  # noqa: E402
from storeq import Store  # noqa: E402
from test_portal_geo import sonae  # noqa: E402

N = 21
LON0, LAT0 = 139.80, 38.70
DLAT = 50.0 / (6371008.8 * math.pi / 180)
DLON = DLAT / math.cos(math.radians(LAT0))
SPEED = 1.0  # [portal] walk_speed of this test


def node(c, r):
    return (LON0 + c * DLON, LAT0 + r * DLAT)


def box(c0, r0, c1, r1):
    (x0, y0), (x1, y1) = node(c0, r0), node(c1, r1)
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


SMALL = (1.6, 9.6, 2.4, 10.4)  # around crossing (2, 10) only
BIG = (5.5, 4.5, 14.5, 16.5)


def inside(b, x, y):
    (x0, y0), (x1, y1) = node(b[0], b[1]), node(b[2], b[3])
    return x0 < x < x1 and y0 < y < y1


def hav(a, b):
    r = math.radians
    s = (math.sin(r(b[1] - a[1]) / 2) ** 2
         + math.cos(r(a[1])) * math.cos(r(b[1])) * math.sin(r(b[0] - a[0]) / 2) ** 2)
    return 2 * 6371008.8 * math.asin(math.sqrt(s))


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)


def grid_geojson():
    feats = []
    for fixed in range(N):
        for row in (True, False):
            pts = [node(k, fixed) if row else node(fixed, k) for k in range(N)]
            props = {"name": f"{fixed + 1}{'条通り' if row else '番町通り'}"} if fixed % 5 == 0 else {}
            feats.append({"type": "Feature", "properties": props,
                          "geometry": {"type": "LineString", "coordinates": pts}})
    return {"type": "FeatureCollection", "features": feats}


def flood_geojson(rank):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"rank": rank},
         "geometry": {"type": "Polygon", "coordinates": [box(*b)]}} for b in (SMALL, BIG)]}


def shelter_geojson():
    """One shelter at crossing (18, 10), in the GSI file's own shape."""
    with open(os.path.join(FIXTURES, "gis", "shelters", "gsi_emergency_062031_tsuruoka.geojson"),
              encoding="utf-8") as f:
        real = json.load(f)["features"][0]["properties"]
    props = {k: "" for k in real}
    props.update({"NO": 1, "共通ID": "E0620399999901", "都道府県名及び市町村名": "山形県鶴岡市",
                  "施設・場所名": "テスト東避難所", "住所": "山形県鶴岡市テスト1-1", "洪水": "1"})
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props,
         "geometry": {"type": "Point", "coordinates": list(node(18, 10))}}]}


def expected_walk(c0, r0, c1, r1):
    """Dijkstra over the grid: (total length, length on edges touching the flood)."""
    def wet(a, b):
        return any(inside(bx, *node(*p)) for bx in (SMALL, BIG) for p in (a, b))

    dist = {(c0, r0): (0.0, 0.0, 0.0)}
    heap = [(0.0, 0.0, 0.0, c0, r0)]
    seen = set()
    while heap:
        cost, length, wetm, c, r = heapq.heappop(heap)
        if (c, r) in seen:
            continue
        seen.add((c, r))
        if (c, r) == (c1, r1):
            return length, wetm
        for dc, dr in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nc, nr = c + dc, r + dr
            if not (0 <= nc < N and 0 <= nr < N):
                continue
            ln = hav(node(c, r), node(nc, nr))
            w = wet((c, r), (nc, nr))
            nd = (cost + ln * (1001 if w else 1), length + ln, wetm + (ln if w else 0))
            if (nc, nr) not in dist or nd[0] < dist[(nc, nr)][0]:
                dist[(nc, nr)] = nd
                heapq.heappush(heap, (*nd, nc, nr))
    return None


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi)
            / 2 * n)
    return x, y


def stored_tile(store, layer, z, x, y):
    """The active tile's bytes and its set's version (as text), or None."""
    rows = store.q("SELECT t.data, s.version FROM tiles t JOIN tile_sets s ON s.id = t.set_id "
                   "WHERE s.layer = ? AND s.active = 1 AND z = ? AND x = ? AND y = ?",
                   layer, z, x, y)
    return (rows[0][0], str(rows[0][1])) if rows else None


def main():
    d = tmpdir("sonae-portal-routes-")
    p = None
    store = Store(d)
    try:
        conf = write_conf(d, free_port(), extra=store.conf)
        sonae(conf, "db", "migrate")
        for name, obj in (("grid.geojson", grid_geojson()), ("flood1.geojson", flood_geojson("2")),
                          ("flood2.geojson", flood_geojson("4")),
                          ("shelter.geojson", shelter_geojson())):
            write_json(os.path.join(d, name), obj)
        out = sonae(conf, "import", "roads", os.path.join(d, "grid.geojson"), "--version", "g1")
        check("version g1" in out and f"{2 * N * (N - 1)}" in out, f"roads imported: {out.strip()}")
        sonae(conf, "import", "shelters", os.path.join(d, "shelter.geojson"))
        sonae(conf, "import", "hazard", os.path.join(d, "flood1.geojson"), "--class", "rank",
              "--hazard", "flood", "--name", "test_flood", "--version", "1")

        # [portal] walk_speed is checked: out of 0.3-2.0 or not a number is
        # an error of the config, with the key named.
        for bad in ("5", "0.1", "fast", "nan"):
            bconf = write_conf(tmpdir("sonae-walk-conf-"), free_port(), extra=f"walk_speed = {bad}\n")
            r = subprocess.run([exe("sonae-portald"), "-c", bconf, "-n"], capture_output=True,
                               text=True, timeout=30)
            check(r.returncode != 0 and "walk_speed" in (r.stdout + r.stderr),
                  f"walk_speed = {bad} refused by -n ({r.returncode})")
            rmtree(os.path.dirname(bconf))

        p = Portal(d, extra=f"walk_speed = {SPEED}\n" + store.conf)
        lon, lat = node(2, 10)
        qlat, qlon = f"{lat:.7f}", f"{lon:.7f}"
        st, h, body = p.get(f"/api/v1/hazard?lat={qlat}&lon={qlon}")
        a = json.loads(body)
        check(st == 200, f"hazard answers 200 ({st})")
        check([x["layer"] for x in a["hazards"]] == ["test_flood"], f"in the flood ({a['hazards']})")
        sl = a["shelters"].get("flood", [])
        check(len(sl) == 1 and sl[0]["name"] == "テスト東避難所", f"the flood shelter ({sl})")
        r = sl[0].get("route") if sl else None
        check(r is not None, "the shelter carries its walk")
        if r:
            want, wet = expected_walk(2, 10, 18, 10)
            print(f"  route {r['distance_m']} m, expected {want:.1f} m ({wet:.1f} m wet)")
            print(f"  words: {r['words_ja']}")
            check(abs(r["distance_m"] - want) <= want * 0.003 + 1, "walking distance as expected")
            check(abs(r["walk_s"] - r["distance_m"] / SPEED) <= 2, f"walk_s at walk_speed ({r['walk_s']})")
            g = r["geometry"]
            check(g["type"] == "LineString" and len(g["coordinates"]) >= 2, "geometry: a LineString")
            check(not any(inside(BIG, x, y) for x, y in g["coordinates"]),
                  "the walk goes around the large flood area")
            check(r["through_hazard"] is True, "leaving the flood one stands in is said")
            check(r["words_ja"].startswith("ほかに道がないため") and "テスト東避難所に着きます" in r["words_ja"],
                  "words: warning first, arrival at the shelter last")
            minutes = math.ceil(r["distance_m"] / SPEED / 60)
            check(f"徒歩約{minutes}分" in r["words_ja"], f"words give the time ({minutes} min)")
            check(r["network_version"] == "g1", "the network's version")
        check("OpenStreetMap" not in a.get("route_attribution", "x") and a.get("route_attribution"),
              f"the network's attribution ({a.get('route_attribution')})")

        # Tiles: the layer's version and template.
        st, h, body = p.get("/api/v1/tiles/test_flood")
        info = json.loads(body)
        check(st == 200 and info["version"] == "1", f"tile layer info ({st} {info})")
        check(info["tiles"] == ["/api/v1/tiles/test_flood/{z}/{x}/{y}.mvt?v=1"], "versioned template")

        cx, cy = node(10, 10)
        for z in (10, 16):
            x, y = tile_of(cx, cy, z)
            want = stored_tile(store, "test_flood", z, x, y)
            check(want is not None, f"z{z} tile made at import")
            st, h, body = p.get(f"/api/v1/tiles/test_flood/{z}/{x}/{y}.mvt?v=1")
            check(st == 200 and h.get("content-type") == "application/vnd.mapbox-vector-tile",
                  f"z{z} tile served as MVT ({st} {h.get('content-type')})")
            check(want is not None and body == want[0], f"z{z}: the stored bytes")
            check(b"test_flood" in body, f"z{z}: the layer named inside the tile")
            check("-1\"" in h.get("etag", ""), f"ETag carries the version ({h.get('etag')})")
            check("max-age=31536000" in h.get("cache-control", "") and
                  "immutable" in h.get("cache-control", ""), f"versioned URL cached long ({h.get('cache-control')})")
            etag = h.get("etag")
            st, h2, _ = p.get(f"/api/v1/tiles/test_flood/{z}/{x}/{y}.mvt?v=1",
                              headers={"If-None-Match": etag})
            check(st == 304, f"z{z}: If-None-Match answers 304 ({st})")
        x10, y10 = tile_of(cx, cy, 10)
        st, h, body = p.get(f"/api/v1/tiles/test_flood/10/{x10}/{y10}.mvt")
        check(st == 200 and "max-age=60" in h.get("cache-control", ""),
              f"unversioned URL cached briefly ({h.get('cache-control')})")
        old_etag = h.get("etag")
        gz = p.get(f"/api/v1/tiles/test_flood/10/{x10}/{y10}.mvt?v=1",
                   headers={"Accept-Encoding": "gzip"})
        check(gz[0] == 200, "a tile with gzip asked for")

        # Nothing there, and hostile coordinates.
        fx, fy = tile_of(140.3, 38.3, 16)
        x17, y17 = tile_of(cx, cy, 17)
        cases = [
            (f"/api/v1/tiles/test_flood/16/{fx}/{fy}.mvt", 404, "an empty tile"),
            (f"/api/v1/tiles/test_flood/17/{x17}/{y17}.mvt", 404, "beyond the zooms made"),
            (f"/api/v1/tiles/nothing/10/{x10}/{y10}.mvt", 404, "a layer without tiles"),
            (f"/api/v1/tiles/test_flood/10/{x10}/{y10}.png", 404, "not .mvt"),
            (f"/api/v1/tiles/test_flood/10/{x10}/{y10}", 404, "no extension"),
            ("/api/v1/tiles/test_flood/abc/1/1.mvt", 400, "z not a number"),
            ("/api/v1/tiles/test_flood/-1/0/0.mvt", 400, "negative z"),
            ("/api/v1/tiles/test_flood/10/1024/0.mvt", 400, "x outside the grid"),
            ("/api/v1/tiles/test_flood/10/0/99999999.mvt", 400, "huge y"),
            ("/api/v1/tiles/test_flood/23/0/0.mvt", 400, "z above 22"),
            ("/api/v1/tiles/test_flood/010/0/0.mvt", 400, "leading zeros"),
            ("/api/v1/tiles/test_flood/10/0x1/0.mvt", 400, "hex"),
            ("/api/v1/tiles/test_flood/10/1e3/0.mvt", 400, "exponent"),
            ("/api/v1/tiles/..%2f..%2fetc/10/0/0.mvt", 404, "a path in the layer"),
            (f"/api/v1/tiles/test_flood/10/{x10}/{y10}.mvt?v=1%27%3B", 400, "a quote in v"),
            (f"/api/v1/tiles/test_flood/10/{x10}/{y10}.mvt?v={'9' * 100}", 400, "a long v"),
            (f"/api/v1/tiles/test_flood/10/{x10}/{y10}.mvt?v=0", 404, "a version never made"),
        ]
        for path, want_st, what in cases:
            st, _, _ = p.get(path)
            check(st == want_st, f"{what}: {want_st} ({st}) {path}")

        # A new version while the portal runs: the old URL is refused, the
        # new one serves the new bytes, the old ETag no longer matches.
        sonae(conf, "import", "hazard", os.path.join(d, "flood2.geojson"), "--class", "rank",
              "--hazard", "flood", "--name", "test_flood", "--version", "2")
        st, _, _ = p.get(f"/api/v1/tiles/test_flood/10/{x10}/{y10}.mvt?v=1")
        check(st == 404, f"after the switch the old version's URL is 404 ({st})")
        st, h, body = p.get(f"/api/v1/tiles/test_flood/10/{x10}/{y10}.mvt?v=2")
        want = stored_tile(store, "test_flood", 10, x10, y10)
        check(st == 200 and want and want[1] == "2" and body == want[0], "the new version's tile")
        check("-2\"" in h.get("etag", ""), f"new ETag with version 2 ({h.get('etag')})")
        st, h, _ = p.get(f"/api/v1/tiles/test_flood/10/{x10}/{y10}.mvt",
                         headers={"If-None-Match": old_etag})
        check(st == 200 and h.get("etag") != old_etag, f"the old ETag does not match ({st})")
        n_old = store.q("SELECT count(*) FROM tile_sets WHERE version = '1'")[0][0]
        check(n_old == 0, "the old tiles are gone from the store")
        st, _, body = p.get("/api/v1/tiles/test_flood")
        check(json.loads(body)["version"] == "2", "layer info follows the switch")

        # Rivers: `sonae import rivers` while the portal runs, the tiles
        # served under the layer "rivers" with the version in the URL; a
        # broken file is refused and the current version keeps serving.
        def river(name, pts):
            return {"type": "Feature", "properties": {"name": name},
                    "geometry": {"type": "LineString", "coordinates": [list(q) for q in pts]}}
        write_json(os.path.join(d, "rivers1.geojson"), {"type": "FeatureCollection", "features": [
            river("テスト川", (node(10, 0), node(10, 20))), river("支川", (node(0, 5), node(20, 5)))]})
        write_json(os.path.join(d, "rivers2.geojson"), {"type": "FeatureCollection", "features": [
            river("テスト川", (node(10, 0), node(10, 20)))]})
        write_json(os.path.join(d, "rivers_bad.geojson"), {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "点"},
             "geometry": {"type": "Point", "coordinates": list(node(10, 10))}}]})
        out = sonae(conf, "import", "rivers", os.path.join(d, "rivers1.geojson"), "--version", "r1")
        check("rivers" in out and "version r1" in out and "2 lines" in out,
              f"rivers imported: {out.strip()}")
        st, _, body = p.get("/api/v1/tiles/rivers")
        info = json.loads(body) if st == 200 else {}
        check(info.get("tiles") == ["/api/v1/tiles/rivers/{z}/{x}/{y}.mvt?v=r1"],
              f"rivers tile template ({st} {info})")
        for z in (10, 16):
            x, y = tile_of(*node(10, 10), z)
            want = stored_tile(store, "rivers", z, x, y)
            st, h, body = p.get(f"/api/v1/tiles/rivers/{z}/{x}/{y}.mvt?v=r1")
            check(st == 200 and want is not None and body == want[0],
                  f"rivers z{z} tile served ({st})")
            check(b"rivers" in body and "テスト川".encode() in body,
                  f"rivers z{z}: the layer and the river's name inside")
        r = subprocess.run([exe("sonae"), "-c", conf, "import", "rivers",
                            os.path.join(d, "rivers_bad.geojson"), "--version", "r9"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 1 and "nothing changed" in r.stderr and "Point" in r.stderr,
              f"points refused as rivers ({r.returncode} {r.stderr.strip()})")
        st, _, body = p.get("/api/v1/tiles/rivers")
        check(st == 200 and json.loads(body)["version"] == "r1", "r1 keeps serving")
        sonae(conf, "import", "rivers", os.path.join(d, "rivers2.geojson"), "--version", "r2")
        st, _, _ = p.get(f"/api/v1/tiles/rivers/10/{x10}/{y10}.mvt?v=r1")
        check(st == 404, f"after the switch the r1 URL is 404 ({st})")
        st, _, body = p.get(f"/api/v1/tiles/rivers/10/{x10}/{y10}.mvt?v=r2")
        check(st == 200 and "テスト川".encode() in body and "支川".encode() not in body,
              f"r2: only the remaining river ({st})")

        log = p.log()
        check(qlat not in log and qlon not in log and f"{lat:.4f}" not in log,
              "the access log holds no position")
    finally:
        if p:
            p.stop()
        store.close()
        rmtree(d)
    return done(store.name("portal-routes"))


if __name__ == "__main__":
    sys.exit(main())
