"""`sonae db copy DSN`: a SpatiaLite store filled by `sonae db seed`, sensor
nodes (`sonae device add`, portal-seed's node with gaps), readings, a raw
document and a hazard import, moved into an empty PostGIS database (a real
PostgreSQL 15 + PostGIS 3, tests/lib/pgserver.py).  Every table's count and
sample values (a point's and a polygon's coordinates and SRID, a blob's
bytes, times, text with tabs and backslashes) are compared through
independent connections: python's sqlite3 on the file, psql on the
database.  Refused, with the target left without rows: a table of a
migration PostGIS lacks that holds rows, a second copy into the filled
database, and a copy whose counts come out different."""

import os
import sqlite3
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sonaetest import BUILD, SOURCE, check, done, exe, rmtree, tmpdir  # noqa: E402
from pgserver import PgServer  # noqa: E402

d = tmpdir()
conf = os.path.join(d, "s", "sonae.conf")
db = os.path.join(d, "s", "data", "sonae.db")
HAZARD = os.path.join(SOURCE, "tests", "fixtures", "geo", "a31_max_6668.shp")


def sonae(*args, config=conf):
    return subprocess.run([exe("sonae"), "-c", config] + list(args), capture_output=True,
                          timeout=300)


def q(sql, args=()):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def sl_geom(blob):
    """A SpatiaLite geometry blob: (srid, (minx, miny, maxx, maxy), class,
    first x, first y) read from its bytes, without SpatiaLite."""
    end = "<" if blob[1] == 1 else ">"
    srid = struct.unpack(end + "i", blob[2:6])[0]
    mbr = struct.unpack(end + "4d", blob[6:38])
    cls = struct.unpack(end + "i", blob[39:43])[0]
    x, y = struct.unpack(end + "2d", blob[43:59]) if cls == 1 else (None, None)
    return srid, mbr, cls, x, y


def tables_with_rows(pg, dbname):
    out = {}
    for t in pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND "
                     "tablename NOT IN ('spatial_ref_sys', 'schema_migrations')",
                     db=dbname).split():
        n = int(pg.psql(f"SELECT count(*) FROM {t}", db=dbname))
        if n:
            out[t] = n
    return out


try:
    r = subprocess.run([exe("sonae"), "init", os.path.join(d, "s")], capture_output=True)
    check(r.returncode == 0, "sonae init writes a config")
    r = sonae("db", "seed")
    check(r.returncode == 0 and b"100 stations" in r.stdout, "seed the SpatiaLite store")
    os.makedirs(os.path.join(d, "s", "mosquitto"), exist_ok=True)  # the nodes' broker passwords
    for i, dev in enumerate(["node-01", "node-02"]):
        r = sonae("device", "add", dev, "--station", f"copy-{i}", "--mount-height", "4.5",
                  "--lon", "139.83", "--lat", "38.73", "--name", f"赤川{i}号センサー")
        check(r.returncode == 0, f"device add {dev}: {r.stderr!r}")
    r = subprocess.run([os.path.join(BUILD, "tests", "portal-seed"), db, "device", "node-03",
                        "gauge-001", "online", "3.9",
                        "-80", "2"], capture_output=True, timeout=60)
    check(r.returncode == 0, f"a node with two open gaps: {r.stderr!r}")
    dev_id = q("SELECT id FROM devices WHERE device = 'node-01'")[0][0]
    con = sqlite3.connect(db)
    con.executemany("INSERT INTO readings (device_id, epoch, seq, measured_at, received_at, "
                    "dist_m, level_m, temp_c, batt_v, rssi_dbm) VALUES (?, 1, ?, ?, ?, ?, ?, "
                    "21.5, 3.71, -77)",
                    [(dev_id, s, 1780000000 + 60 * s, 1780000005 + 60 * s, 2.0 + s / 1000,
                      2.5 - s / 1000 + 1e-13) for s in range(500)])
    # A blob with every byte COPY's text format escapes, and text with a
    # tab, a newline and a backslash.
    body = bytes(range(256)) + b"\\\t\n\r\\N"
    con.execute("INSERT INTO raw_documents (source, url, sha256, content_type, body, bytes, "
                "fetched_at) VALUES ('copy', 'http://example.test/a\tb\\c\nd', ?, "
                "'application/xml', ?, ?, 1780000123)", ("ab" * 32, body, len(body)))
    # A drill's own station (stations.exercise, 0010) stays one on PostGIS.
    con.execute("UPDATE stations SET exercise = 1, name = '【訓練】' || name WHERE id = "
                "(SELECT min(id) FROM stations WHERE kind = 'gauge')")
    con.commit()
    con.close()
    r = sonae("import", "hazard", HAZARD, "--name", "flood_max")
    check(r.returncode == 0, f"a hazard import: {r.stderr!r}")

    sl_tables = [t for (t,) in q("SELECT name FROM sqlite_master WHERE type = 'table'")]
    with PgServer() as pg:
        pg.psql("CREATE DATABASE city TEMPLATE sonae_template", db="postgres")
        dsn = pg.dsn("city") + " password=s3cr3t-pw"

        # Tables whose migration PostGIS does not have yet may only come
        # along empty: the import's tiles have rows.
        r = sonae("db", "copy", dsn)
        pg_tables = set(pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                                db="city").split())
        only_sl = [t for t in ("road_graphs", "road_nodes", "road_edges", "tile_sets", "tiles",
                               "sessions", "drills", "drill_areas")
                   if t in sl_tables and t not in pg_tables]
        full = [t for t in only_sl if q(f"SELECT count(*) FROM {t}")[0][0] > 0]
        if full:
            check(r.returncode != 0 and b"no such table yet" in r.stderr and
                  any(t.encode() in r.stderr for t in full),
                  f"a table with rows PostGIS lacks ({', '.join(full)}) is refused: {r.stderr!r}")
            check(tables_with_rows(pg, "city") == {}, "and the target holds no rows")
            # Until those migrations are on PostGIS the city drops them
            # (tiles are made again at the next import).
            con = sqlite3.connect(db)
            for t in reversed(only_sl):
                con.execute(f"DELETE FROM {t}")
            con.commit()
            con.close()
            r = sonae("db", "copy", dsn)
        check(r.returncode == 0 and b"the counts match" in r.stdout,
              f"copy into the empty database: {r.stdout[-400:]!r} {r.stderr!r}")
        check(b"s3cr3t" not in r.stdout + r.stderr and b"host=" not in r.stdout + r.stderr,
              "messages do not print the dsn")

        # Every table of both schemas: the same count on both sides.
        common = sorted(t for t in pg_tables if t in sl_tables and
                        t not in ("schema_migrations", "spatial_ref_sys"))
        check(len(common) >= 35, f"{len(common)} tables in both schemas")
        for t in common:
            a = q(f"SELECT count(*) FROM {t}")[0][0]
            b = int(pg.psql(f"SELECT count(*) FROM {t}", db="city"))
            check(a == b, f"{t}: {a} rows in SpatiaLite, {b} in PostGIS")
        for t in ("stations", "observations", "events", "alerts", "shelters", "hazard_features",
                  "devices", "device_calibrations", "readings", "reading_gaps", "raw_documents",
                  "reports", "orders", "notices"):
            check(q(f"SELECT count(*) FROM {t}")[0][0] > 0, f"{t} was not empty")
        check(pg.psql("SELECT max(version) FROM schema_migrations", db="city") ==
              str(int(pg.psql("SELECT count(*) FROM schema_migrations", db="city"))),
              "the target is migrated to the PostGIS schema's newest version")

        drill_sl = q("SELECT id || ' ' || name FROM stations WHERE exercise = 1")
        drill_pg = pg.psql("SELECT id || ' ' || name FROM stations WHERE exercise = 1", db="city")
        check(len(drill_sl) == 1 and drill_pg == drill_sl[0][0],
              f"the drill station copied with its mark: {drill_sl} {drill_pg!r}")

        # A point: SRID and coordinates, read from SpatiaLite's own bytes.
        sid, blob, lon, lat = q("SELECT id, geom, lon, lat FROM stations ORDER BY id DESC "
                                "LIMIT 1")[0]
        srid, _, cls, x, y = sl_geom(blob)
        got = pg.psql(f"SELECT ST_SRID(geom) || ' ' || ST_X(geom) || ' ' || ST_Y(geom) || ' ' "
                      f"|| lon || ' ' || lat FROM stations WHERE id = {sid}", db="city").split()
        check(srid == 6668 and cls == 1 and got[0] == "6668" and float(got[1]) == x and
              float(got[2]) == y and float(got[3]) == lon and float(got[4]) == lat,
              f"station {sid}: point ({x}, {y}) in 6668 on both sides: {got}")
        # A polygon: its bounding box, and its vertices in the same order.
        fid, blob = q("SELECT id, geom FROM hazard_features ORDER BY id DESC LIMIT 1")[0]
        srid, mbr, _, _, _ = sl_geom(blob)
        box = [float(v) for v in pg.psql(
            f"SELECT ST_XMin(geom) || ' ' || ST_YMin(geom) || ' ' || ST_XMax(geom) || ' ' || "
            f"ST_YMax(geom) || ' ' || ST_SRID(geom) FROM hazard_features WHERE id = {fid}",
            db="city").split()]
        check(srid == 6668 and box[4] == 6668 and box[:4] == list(mbr),
              f"hazard feature {fid}: the same box in 6668: {mbr} {box}")
        npts = int(pg.psql(f"SELECT ST_NPoints(geom) FROM hazard_features WHERE id = {fid}",
                           db="city"))
        check(npts > 4, f"and its {npts} vertices")
        # A blob, byte for byte, and text with a tab, a newline, a backslash.
        hexbody, url = pg.psql("SELECT encode(body, 'hex') || ' ' || encode(convert_to(url, "
                               "'UTF8'), 'hex') FROM raw_documents WHERE source = 'copy'",
                               db="city").split()
        check(bytes.fromhex(hexbody) == body, "a blob's bytes, escapes included")
        check(bytes.fromhex(url) == b"http://example.test/a\tb\\c\nd", "text with escapes")
        # Times, and doubles to the last bit.
        sl_r = q("SELECT seq, measured_at, received_at, dist_m, level_m FROM readings WHERE "
                 "device_id = ? ORDER BY seq", (dev_id,))
        pg_r = [tuple(v.split("|")) for v in pg.psql(
            f"SELECT seq, measured_at, received_at, dist_m, level_m FROM readings WHERE "
            f"device_id = {dev_id} ORDER BY seq", db="city").split("\n")]
        pg_r = [(int(a), int(b), int(c), float(e), float(f)) for a, b, c, e, f in pg_r]
        check(sl_r == pg_r, f"{len(sl_r)} readings: times and values identical")
        ev_sl = q("SELECT id, at, type, subject, level, public, exercise, data FROM events "
                  "ORDER BY id")
        ev_pg = pg.psql("SELECT id || '|' || at || '|' || type || '|' || subject || '|' || "
                        "coalesce(level::text, '') || '|' || public || '|' || exercise || '|' "
                        "|| data FROM events ORDER BY id", db="city").split("\n")
        check([f"{i}|{a}|{t}|{s}|{'' if lv is None else lv}|{p}|{e}|{dt}"
               for i, a, t, s, lv, p, e, dt in ev_sl] == ev_pg,
              f"{len(ev_sl)} events: ids, times, types and data identical")
        title, since = q("SELECT title_ja, valid_from FROM notices")[0]
        check(pg.psql("SELECT title_ja || '|' || valid_from FROM notices", db="city") ==
              f"{title}|{since}", f"a notice's Japanese title and time: {title}")

        # The copy is a store Sonae opens: it checks out, and its operations
        # read what was copied (the devices, through the PostGIS backend).
        pconf = os.path.join(d, "city.conf")
        with open(pconf, "w") as f:
            f.write(f"[store]\nbackend = postgis\ndsn = {pg.dsn('city')}\n")
        r = sonae("db", "check", config=pconf)
        check(r.returncode == 0 and b"store OK" in r.stdout, f"db check passes: {r.stderr!r}")
        r = sonae("device", "list", config=pconf)
        check(r.returncode == 0 and all(n in r.stdout for n in (b"node-01", b"node-02",
                                                                  b"node-03")),
              f"sonae device list on PostGIS shows the copied nodes: {r.stdout[-300:]!r}")

        # The sequences moved past the copied ids.
        top = q("SELECT max(id) FROM events")[0][0]
        nid = pg.psql("INSERT INTO events (at, type, subject, public, exercise, data) VALUES "
                      "(1, 'station.level', 'stations/1', 1, 0, '{}') RETURNING id", db="city")
        check(int(nid) == top + 1, f"the next event takes id {top + 1} ({nid})")
        before = tables_with_rows(pg, "city")

        # Bad input: a second copy into the now non-empty database.
        r = sonae("db", "copy", dsn)
        check(r.returncode != 0 and b"not empty" in r.stderr,
              f"a second copy is refused: {r.stderr!r}")
        check(tables_with_rows(pg, "city") == before, "and changes nothing")

        # Bad input: a target that loses rows (a trigger drops every notice):
        # the counts differ, nothing is committed.
        pg.psql("CREATE DATABASE lossy TEMPLATE sonae_template", db="postgres")
        lconf = os.path.join(d, "lossy.conf")
        with open(lconf, "w") as f:
            f.write(f"[store]\nbackend = postgis\ndsn = {pg.dsn('lossy')}\n")
        r = sonae("db", "migrate", config=lconf)
        check(r.returncode == 0, "migrate the second target")
        pg.psql("CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RETURN NULL; END $$; CREATE TRIGGER lose BEFORE INSERT ON notices "
                "FOR EACH ROW EXECUTE FUNCTION drop_row()", db="lossy")
        r = sonae("db", "copy", pg.dsn("lossy"))
        check(r.returncode != 0 and b"table notices" in r.stderr and b"rows in the store" in
              r.stderr, f"different counts fail loudly: {r.stderr!r}")
        check(tables_with_rows(pg, "lossy") == {}, "and the target holds no rows")

        # Bad input: no server there.
        r = sonae("db", "copy", "host=127.0.0.1 port=1 dbname=x connect_timeout=2")
        check(r.returncode != 0 and b"I/O error" in r.stderr, "an unreachable server")
        # Bad input: the configured store is not a SpatiaLite file.
        r = sonae("db", "copy", pg.dsn("city"), config=lconf)
        check(r.returncode != 0 and b"SpatiaLite" in r.stderr,
              "copy from a PostGIS store is refused")
        r = sonae("db", "copy")
        check(r.returncode == 2, "copy without a DSN is a usage error")
finally:
    rmtree(d)
done("db-copy")
