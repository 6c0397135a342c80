"""sonae-portald with `[store] read_dsn` on a real streaming replica: a
PostgreSQL 15 + PostGIS 3 primary (tests/lib/pgserver.py) and a hot standby
made from it with pg_basebackup -R on another port.  GET requests are
served from the replica (a station written on the primary shows once
replicated, and not while the replica's replay is paused); the portal's
primary handles (writes, sessions, accounts) connect to the primary only;
with the replica stopped, reads answer 503 with a Japanese message while
the primary's handles still work, and reads come back when it returns."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sonaetest import (SCALE, check, done, rmtree, stop_showing_why, tmpdir,  # noqa: E402
                       wait_for)
from portaltest import Portal, pg_city, pg_station  # noqa: E402
from pgserver import PgServer  # noqa: E402

d = tmpdir()
BOX = "139,38,140,39"


def station(pg, ext, lon):
    return pg_station(pg, "replica", ext, f"複製川 {ext}", lon)


def apps(pg, standby=False):
    """The application names of the portal's connections on one server."""
    return sorted(set(conns(pg, standby)))


def conns(pg, standby=False):
    """The portal's connections on one server, by application name."""
    rows = pg.psql("SELECT application_name FROM pg_stat_activity WHERE application_name LIKE "
                   "'portal-%'", db="postgres", standby=standby).split()
    return {n: rows.count(n) for n in set(rows)}


class Seq:
    """Fresh query strings: the portal keeps GET answers for a few seconds."""
    n = 0

    def stations(self):
        Seq.n += 1
        return f"/api/v1/stations?bbox={BOX}.{Seq.n:06d}"


portal = None
try:
    with PgServer() as pg:
        check(pg_city(pg, d), "the primary is migrated")
        port = pg.add_standby()
        check(pg.psql("SELECT pg_is_in_recovery()", db="postgres", standby=True) == "t",
              f"a hot standby streams from the primary on port {port}")
        first = station(pg, "1", 139.8)

        portal = Portal(os.path.join(d, "p"), store=(
            "backend = postgis\n"
            f"dsn = {pg.dsn('city')} application_name=portal-primary\n"
            f"read_dsn = {pg.standby_dsn('city')} application_name=portal-replica"))
        check(portal.daemon.proc.poll() is None, "sonae-portald starts with dsn and read_dsn")
        seq = Seq()

        def names():
            st, _, body = portal.get(seq.stations())
            if st != 200:
                return None
            return [f["properties"]["name"] for f in json.loads(body)["features"]]

        check(wait_for(lambda: names() == ["複製川 1"], 10 * SCALE),
              "a station written on the primary is served once replicated")
        check(apps(pg, standby=True) == ["portal-replica"],
              f"the reads are on the replica: {apps(pg, standby=True)}")

        # Reads come from the replica: with its replay paused, a station the
        # primary holds is not served, and it is once replay resumes.
        pg.psql("SELECT pg_wal_replay_pause()", db="postgres", standby=True)
        second = station(pg, "2", 139.9)
        check(pg.psql(f"SELECT count(*) FROM stations WHERE id = {second}", db="city") == "1",
              "the primary holds the second station")
        st, _, _ = portal.get(f"/api/v1/stations/{second}")
        check(st == 404, f"not served while the replica has not replayed it ({st})")
        pg.psql("SELECT pg_wal_replay_resume()", db="postgres", standby=True)
        check(wait_for(lambda: portal.get(f"/api/v1/stations/{second}")[0] == 200, 10 * SCALE),
              "served once the replica has it")

        # The primary's handles (sessions, accounts, writes) go to the
        # primary: a login asks for the account there, never on the replica
        # (the notifier's own handle is there from the start).
        n_primary = conns(pg).get("portal-primary", 0)
        n_replica = conns(pg, standby=True).get("portal-replica", 0)
        st, _, _ = portal.get("/api/v1/auth/login", method="POST",
                              body=json.dumps({"name": "nobody", "password": "x"}),
                              headers={"Content-Type": "application/json"})
        check(st != 200, f"an unknown login is refused ({st})")
        check(conns(pg).get("portal-primary", 0) == n_primary + 1 and
              conns(pg, standby=True) == {"portal-replica": n_replica},
              f"the login opened a handle on the primary, none on the replica: {conns(pg)}")

        # The replica stopped: reads say so in Japanese, 503.
        pg.standby_stop()
        st, _, body = portal.get(seq.stations())
        msg = json.loads(body)["error"]["message"] if st == 503 else body
        check(st == 503 and "データベースに接続できません" in msg,
              f"with the replica down a read is 503 with a Japanese message: {st} {msg}")
        st, _, _ = portal.get(f"/api/v1/stations/{first}")
        check(st == 503, "every read, not only the first")
        # Bad input, not store trouble: still answered as before.
        st, _, _ = portal.get("/api/v1/stations/abc")
        check(st in (400, 404), f"a bad id is still the client's error ({st})")
        # The primary still serves the portal's primary handles: the login
        # is answered as before, not with the replica's outage.
        before = conns(pg)
        st, _, _ = portal.get("/api/v1/auth/login", method="POST",
                              body=json.dumps({"name": "nobody", "password": "x"}),
                              headers={"Content-Type": "application/json"})
        check(conns(pg) == before and before.get("portal-primary", 0) == n_primary + 1,
              f"the primary's handles stay open and in use while the replica is down ({st})")
        check(portal.daemon.proc.poll() is None, "sonae-portald keeps running")

        # The replica returns: reads come back on the same handles.
        pg.standby_start()
        station(pg, "3", 139.95)
        want = ["複製川 1", "複製川 2", "複製川 3"]
        check(wait_for(lambda: names() == want, 20 * SCALE),
              "reads come back when the replica returns, with what was written meanwhile")
        log = portal.daemon.output()
        check("store unavailable" in log and "store available again" in log,
              "the outage is logged once and its end too")
        check("host=" not in log and "port=" not in log, "the log never prints a dsn")
        # Stopped here, or in finally when a check failed.
        stop_showing_why(portal.daemon)
        portal = None
finally:
    stop_showing_why(portal.daemon if portal else None)
    rmtree(d)
done("portal-replica")
