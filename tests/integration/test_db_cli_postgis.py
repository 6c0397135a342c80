"""`sonae db migrate | check | backup | restore` with `[store] backend =
postgis` against a real PostgreSQL 15 + PostGIS 3 (tests/lib/pgserver.py):
migrate creates the schema once, check passes on it and fails on a
database a newer binary migrated and on one that is not a store; backup
and restore go through pg_dump/pg_restore with the password kept off
their command lines, a restored database holds the same rows, and a
truncated, foreign or non-store archive is refused with the target left
as it was; seed fills a database with the labelled sample once."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sonaetest import check, done, exe, rmtree, tmpdir  # noqa: E402
from pgserver import PgServer  # noqa: E402

d = tmpdir()


def write_conf(name, dsn):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(f"[store]\nbackend = postgis\ndsn = {dsn}\n\n[data]\ndir = {d}\n")
    return path


def sonae(conf, *args):
    return subprocess.run([exe("sonae"), "-c", conf, "db"] + list(args), capture_output=True,
                          timeout=120)


try:
    with PgServer() as pg:
        pg.psql("CREATE DATABASE sonae TEMPLATE sonae_template", db="postgres")
        conf = write_conf("sonae.conf", pg.dsn("sonae"))

        r = sonae(conf, "check")
        check(r.returncode != 0 and b"schema version 0" in r.stdout,
              "check on an empty database fails: schema version 0")
        r = sonae(conf, "migrate")
        check(r.returncode == 0 and b"applied 11 migrations; schema version 11" in r.stdout,
              f"migrate applies 0001-0011: {r.stdout!r} {r.stderr!r}")
        r = sonae(conf, "migrate")
        check(r.returncode == 0 and b"applied 0 migrations" in r.stdout,
              "migrate again applies nothing")
        check(pg.psql("SELECT count(*) FROM schema_migrations", db="sonae") == "11",
              "schema_migrations holds 11 rows")
        check(pg.psql("SELECT count(*) FROM geometry_columns WHERE srid = 6668", db="sonae")
              == "11", "11 geometry columns, all SRID 6668")
        gist = pg.psql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND "
                       "indexdef LIKE '%USING gist (geom)%'", db="sonae")
        check(gist == "11", f"a GiST index on every geometry column ({gist})")
        r = sonae(conf, "check")
        check(r.returncode == 0 and b"store OK" in r.stdout and b"postgis" in r.stdout,
              "check passes on the migrated database")
        check(b"host=" not in r.stdout + r.stderr, "messages do not print the dsn")

        # Backup and restore through pg_dump/pg_restore (-Fc).  Rows of the
        # tables people and collectors write, a geometry, a blob, an event.
        pg.psql("INSERT INTO stations (kind, source, external_id, name, expected_interval_s, "
                "lon, lat, created_at, updated_at, geom) VALUES ('gauge', 't', '1', '見本川', "
                "600, 139.826, 38.727, 1, 2, ST_SetSRID(ST_MakePoint(139.826, 38.727), 6668)); "
                "INSERT INTO observations (station_id, quantity, observed_at, value) "
                "SELECT id, 'water_level_m', 1000 + g, g / 10.0 FROM "
                "stations, generate_series(1, 50) g; "
                "INSERT INTO events (at, type, subject, level, public, exercise, data) VALUES "
                "(5, 'station.level', 'stations/1', 3, 1, 0, '{\"station\":1,\"to\":3}'); "
                "INSERT INTO raw_documents (source, url, sha256, content_type, body, bytes, "
                "fetched_at) VALUES ('t', 'http://x/1', repeat('a', 64), 'text/xml', "
                "'\\x00ff10'::bytea, 3, 7)", db="sonae")
        rows = ("SELECT (SELECT count(*) FROM stations) || ' ' || (SELECT count(*) FROM "
                "observations) || ' ' || (SELECT count(*) FROM events) || ' ' || (SELECT "
                "ST_AsText(geom) FROM stations) || ' ' || (SELECT encode(body, 'hex') FROM "
                "raw_documents) || ' ' || (SELECT max(version) FROM schema_migrations)")
        before = pg.psql(rows, db="sonae")
        check(before.startswith("1 50 1 POINT(139.826 38.727) 00ff10 "),
              f"rows to back up: {before}")

        # The tools are started through a shim on PATH that records their
        # arguments and environment: a password in the dsn must reach them
        # through PGPASSWORD, never on their command line (which anyone on
        # the machine can read).
        shim = os.path.join(d, "bin")
        os.mkdir(shim)
        for tool in ("pg_dump", "pg_restore"):
            with open(os.path.join(shim, tool), "w") as f:
                f.write(f"#!/bin/sh\necho \"$@\" >> {d}/{tool}.argv\n"
                        f"env | grep ^PG >> {d}/{tool}.env\n"
                        f"exec /usr/lib/postgresql/15/bin/{tool} \"$@\"\n")
            os.chmod(os.path.join(shim, tool), 0o755)
        env = dict(os.environ, PATH=shim + ":" + os.environ["PATH"])
        # trust authentication ignores the password; it only has to travel.
        secret_conf = write_conf("secret.conf", pg.dsn("sonae") + " password=s3cr3t-pw")

        def sonae_env(conf, *args):
            return subprocess.run([exe("sonae"), "-c", conf, "db"] + list(args),
                                  capture_output=True, timeout=120, env=env)

        dump = os.path.join(d, "b.dump")
        r = sonae_env(secret_conf, "backup", dump)
        check(r.returncode == 0 and os.path.getsize(dump) > 1000,
              f"backup on postgis writes a pg_dump archive: {r.stderr!r}")
        with open(dump, "rb") as f:
            check(f.read(5) == b"PGDMP", "in pg_dump's custom format")
        argv = open(os.path.join(d, "pg_dump.argv")).read()
        penv = open(os.path.join(d, "pg_dump.env")).read()
        check("s3cr3t" not in argv and "host=" not in argv and "-Fc" in argv,
              f"pg_dump's command line holds no password nor dsn: {argv!r}")
        check("PGPASSWORD=s3cr3t-pw" in penv and f"PGPORT={pg.port}" in penv and
              "PGDATABASE=sonae" in penv, "the connection reaches pg_dump through libpq's "
              "environment")
        check(b"s3cr3t" not in r.stdout + r.stderr, "messages do not print the password")
        # Bad input: a backup onto an existing file.
        r = sonae(conf, "backup", dump)
        check(r.returncode != 0 and b"exists" in r.stderr, "backup refuses an existing file")

        # Restored into a new database, read through a second connection.
        pg.psql("CREATE DATABASE restored TEMPLATE sonae_template", db="postgres")
        rconf = write_conf("restored.conf", pg.dsn("restored") + " password=s3cr3t-pw")
        r = sonae_env(rconf, "restore", dump)
        check(r.returncode == 0 and b"restored postgis" in r.stdout,
              f"restore into an empty database: {r.stdout!r} {r.stderr!r}")
        rargv = open(os.path.join(d, "pg_restore.argv")).read()
        check("s3cr3t" not in rargv and "host=" not in rargv,
              f"pg_restore's command line holds no password nor dsn: {rargv!r}")
        after = pg.psql(rows, db="restored")
        check(after == before, f"the restored database has the same rows: {after}")
        r = sonae(rconf, "check")
        v = before.split()[-1].encode()
        check(r.returncode == 0 and b"schema version " + v + b" of " + v in r.stdout,
              f"and the same schema version, and passes check: {r.stdout!r}")
        # The sequences came along: a new row gets a new id.
        nid = pg.psql("INSERT INTO events (at, type, subject, public, exercise, data) VALUES "
                      "(6, 'station.level', 'stations/1', 1, 0, '{}') RETURNING id",
                      db="restored")
        check(nid == "2", f"a new event after restore takes the next id ({nid})")

        # Bad input: restoring over a store that has rows, without --force.
        r = sonae(rconf, "restore", dump)
        check(r.returncode != 0 and b"--force" in r.stderr,
              "restore refuses to overwrite a store without --force")
        check(pg.psql("SELECT count(*) FROM events", db="restored") == "2",
              "and leaves it as it was")
        # Bad input: a truncated archive and a foreign file, even with --force.
        with open(dump, "rb") as f:
            whole = f.read()
        bad_files = {"truncated.dump": whole[: len(whole) * 2 // 3],
                     "foreign.dump": b"SQLite format 3\0" + bytes(4096)}
        for name, data in bad_files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        # Bad input: a sound pg_dump archive of a database that is no store.
        subprocess.run(["/usr/lib/postgresql/15/bin/pg_dump", "-Fc", "-f",
                        os.path.join(d, "nostore.dump"), "-d", pg.dsn("sonae_template")],
                       check=True, timeout=120)
        for name in list(bad_files) + ["nostore.dump"]:
            r = sonae(rconf, "restore", os.path.join(d, name), "--force")
            check(r.returncode != 0 and b"not a store or corrupt" in r.stderr,
                  f"restore refuses {name}: {r.stderr!r}")
            check(pg.psql("SELECT count(*) FROM events", db="restored") == "2",
                  f"and the target is left as it was after {name}")
        # Bad input: a target database without PostGIS (made from template0).
        pg.psql("CREATE DATABASE bare TEMPLATE template0", db="postgres")
        r = sonae(write_conf("bare.conf", pg.dsn("bare")), "restore", dump)
        check(r.returncode != 0 and b"CREATE EXTENSION postgis" in r.stderr,
              f"a target without PostGIS is named as such: {r.stderr!r}")
        check(pg.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db="bare")
              == "0", "and is left empty")
        r = sonae(rconf, "restore", os.path.join(d, "missing.dump"), "--force")
        check(r.returncode != 0 and b"not found" in r.stderr, "restore of a missing file")
        # Bad input: no pg_restore on PATH; said so, target unchanged.
        r = subprocess.run([exe("sonae"), "-c", rconf, "db", "restore", dump, "--force"],
                           capture_output=True, timeout=120,
                           env=dict(os.environ, PATH=os.path.join(d, "nowhere")))
        check(r.returncode != 0 and b"pg_restore not found" in r.stderr,
              f"a missing pg_restore is named: {r.stderr!r}")
        # With --force the backup replaces the store: the later event goes.
        r = sonae(rconf, "restore", dump, "--force")
        check(r.returncode == 0 and pg.psql(rows, db="restored") == before and
              pg.psql("SELECT count(*) FROM events", db="restored") == "1",
              f"restore --force replaces the store by the backup: {r.stderr!r}")

        # The seed on a database of its own (the rows above are not the seed's).
        pg.psql("CREATE DATABASE seeded TEMPLATE sonae_template", db="postgres")
        seed_conf = write_conf("seeded.conf", pg.dsn("seeded"))
        # The labelled sample through the store's operations, as on SpatiaLite
        # (tests/integration/test_db_cli.py): every state and level, alerts,
        # hazard layers and the city's data; a second seed adds nothing.
        def one(sql):
            return pg.psql(sql, db="seeded")

        r = sonae(seed_conf, "seed")
        check(r.returncode == 0 and b"100 stations" in r.stdout,
              f"seed reports 100 stations: {r.stdout!r} {r.stderr!r}")
        events = one("SELECT count(*) FROM events")
        r = sonae(seed_conf, "seed")
        check(r.returncode == 0 and b"already seeded" in r.stdout, "seed twice does not duplicate")
        check(one("SELECT count(*) FROM events") == events, "and writes no event")
        check(one("SELECT count(*) FROM stations") == "100", "100 stations stored")
        states = set(one("SELECT DISTINCT state FROM station_status").split())
        for s in ["ok", "below_start", "watch", "stale", "offline"]:
            check(s in states, f"seeded stations include state {s}")
        check(int(one("SELECT count(*) FROM stations s WHERE NOT EXISTS (SELECT 1 FROM "
                      "station_status t WHERE t.station_id = s.id)")) > 0,
              "seeded stations include never-observed ones (state unknown)")
        levels = one("SELECT string_agg(DISTINCT coalesce(level::text, 'none'), ',') FROM "
                     "station_status WHERE state NOT IN ('stale', 'offline')")
        check(set(levels.split(",")) >= {"1", "2", "3", "4", "5", "none"},
              f"seeded stations reach every level and none: {levels}")
        for area in ["0620300", "0620400"]:
            lv = one(f"SELECT string_agg(DISTINCT level::text, ',' ORDER BY level::text) FROM "
                     f"alerts WHERE area_code = '{area}'")
            check(lv == "1,2,3,4,5", f"alerts at each level 1-5 in area {area}: {lv}")
        check(one("SELECT level FROM area_status WHERE area_code = '0620300' AND exercise = 0")
              == "4", "鶴岡市 is at level 4 in the seed")
        check(one("SELECT count(*) FROM area_status WHERE exercise = 1") != "0",
              "the seed's drill is kept apart (exercise rows)")
        check(one("SELECT count(*) FROM hazard_layers WHERE active = 1") == "2",
              "two active hazard layers")
        check(one("SELECT count(*) FROM orders WHERE lifted_at IS NULL") == "1", "one order in force")
        check(one("SELECT count(*) FROM notices") == "1", "one notice")
        check(one("SELECT count(*) FROM reports") == "3", "three field reports")
        check(int(one("SELECT count(*) FROM shelters WHERE is_open = 1")) >= 1, "an open shelter")
        check(one("SELECT count(*) FROM events WHERE type = 'order.issued'") == "1",
              "the order's event written with it")
        r = sonae(seed_conf, "check")
        check(r.returncode == 0 and b"store OK" in r.stdout, "check passes on the seeded database")

        # A newer binary's store is refused, not downgraded.
        pg.psql("INSERT INTO schema_migrations VALUES (9999, 'future', 0)", db="sonae")
        r = sonae(conf, "check")
        check(r.returncode != 0 and b"not a store or corrupt" in r.stderr,
              "check refuses a store of a newer schema")
        r = sonae(conf, "migrate")
        check(r.returncode != 0, "migrate refuses a store of a newer schema")
        pg.psql("DELETE FROM schema_migrations WHERE version = 9999", db="sonae")

        # A broken constraint is found.
        pg.psql("ALTER TABLE stations DROP CONSTRAINT stations_kind_check; ALTER TABLE stations "
                "ADD CONSTRAINT stations_kind_check CHECK (kind IN ('gauge')) NOT VALID",
                db="sonae")
        r = sonae(conf, "check")
        check(r.returncode != 0 and b"not validated" in r.stderr,
              "check finds a constraint that does not vouch for the rows")

        # No server there: a clear error, bounded in time.
        bad = write_conf("bad.conf", "host=127.0.0.1 port=1 dbname=x connect_timeout=2")
        r = sonae(bad, "migrate")
        check(r.returncode != 0 and b"I/O error" in r.stderr,
              "an unreachable server is an I/O error")
finally:
    rmtree(d)
done("db-cli-postgis")
