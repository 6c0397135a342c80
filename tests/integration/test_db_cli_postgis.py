"""`sonae db migrate | check | backup | restore` with `[store] backend =
postgis` against a real PostgreSQL 15 + PostGIS 3 (tests/lib/pgserver.py):
migrate creates the schema once, check passes on it and fails on a
database a newer binary migrated and on one that is not a store; the
operations not yet written for PostGIS say so instead of succeeding."""

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
        check(r.returncode == 0 and b"applied 9 migrations; schema version 9" in r.stdout,
              f"migrate applies 0001-0009: {r.stdout!r} {r.stderr!r}")
        r = sonae(conf, "migrate")
        check(r.returncode == 0 and b"applied 0 migrations" in r.stdout,
              "migrate again applies nothing")
        check(pg.psql("SELECT count(*) FROM schema_migrations", db="sonae") == "9",
              "schema_migrations holds 9 rows")
        check(pg.psql("SELECT count(*) FROM geometry_columns WHERE srid = 6668", db="sonae")
              == "10", "10 geometry columns, all SRID 6668")
        gist = pg.psql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND "
                       "indexdef LIKE '%USING gist (geom)%'", db="sonae")
        check(gist == "10", f"a GiST index on every geometry column ({gist})")
        r = sonae(conf, "check")
        check(r.returncode == 0 and b"store OK" in r.stdout and b"postgis" in r.stdout,
              "check passes on the migrated database")
        check(b"host=" not in r.stdout + r.stderr, "messages do not print the dsn")

        # Not written for PostGIS yet: said so, non-zero, nothing claimed.
        r = sonae(conf, "backup", os.path.join(d, "b.dump"))
        check(r.returncode != 0 and b"not supported by this backend" in r.stderr,
              "backup on postgis says it is not supported yet")
        check(not os.path.exists(os.path.join(d, "b.dump")), "and writes no file")
        r = sonae(conf, "restore", os.path.join(d, "b.dump"))
        check(r.returncode != 0 and b"not supported by this backend" in r.stderr,
              "restore on postgis says it is not supported yet")

        # A newer binary's store is refused, not downgraded.
        pg.psql("INSERT INTO schema_migrations VALUES (10, 'future', 0)", db="sonae")
        r = sonae(conf, "check")
        check(r.returncode != 0 and b"not a store or corrupt" in r.stderr,
              "check refuses a store of a newer schema")
        r = sonae(conf, "migrate")
        check(r.returncode != 0, "migrate refuses a store of a newer schema")
        pg.psql("DELETE FROM schema_migrations WHERE version = 10", db="sonae")

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
