"""Live events over LISTEN/NOTIFY: sonae-portald on PostGIS (a real
PostgreSQL 15 + PostGIS 3, tests/lib/pgserver.py) streams /api/v1/events;
another process (portal-seed) writes observations through the store, whose
commit notifies `sonae_events` with the newest id, and each event reaches
the SSE client within a bound far below the portal's polling on PostGIS
(every 10 s while it listens) and its streams' keep-alive wake-ups (5 s).
A server that drops the listener's connection is listened to again."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sonaetest import (BUILD, SCALE, check, done, rmtree, stop_showing_why,  # noqa: E402
                       tmpdir, wait_for)
from portaltest import SSE, Portal, pg_city, pg_station  # noqa: E402
from pgserver import PgServer  # noqa: E402

d = tmpdir()
SEED = os.path.join(BUILD, "tests", "portal-seed")
BOUND = 1.5  # seconds; the polling it replaces waits up to 10 s


def next_event(sse, want):
    """Waits for event want on the stream: the time it arrived, or None."""
    if not sse.read_until(lambda evs: any(e["id"] >= want for e in evs), 10):
        return None
    t = time.monotonic()
    return t if any(e["id"] == want for e in sse.events) else None


def reading(pg, value):
    r = subprocess.run([SEED, "postgis:" + pg.dsn("city"), "reading", "listen", "1", str(value)],
                       capture_output=True, timeout=60)
    check(r.returncode == 0 and r.stdout.startswith(b"ok "), f"portal-seed writes: {r.stderr!r}")
    return int(r.stdout.split()[1]), time.monotonic()


portal = None
try:
    with PgServer() as pg:
        check(pg_city(pg, d), "the database is migrated")
        pg_station(pg, "listen", "1", "聴取川", 139.8)

        # The backend notifies in the commit: a psql client listening hears
        # the new id, once (geo-store-core-postgis checks that rollbacks are
        # not heard).
        lis = subprocess.Popen(["/usr/lib/postgresql/15/bin/psql", "-X", "-q", "-d",
                                pg.dsn("city")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        lis.stdin.write("LISTEN sonae_events;\n")
        lis.stdin.flush()
        time.sleep(0.5)
        first, _ = reading(pg, 1.25)
        lis.stdin.write("SELECT 1;\n")  # psql prints notifications after a command
        out, _ = lis.communicate("\\q\n", timeout=30)
        heard = [ln for ln in out.splitlines() if "sonae_events" in ln]
        check(len(heard) == 1 and f'payload "{first}"' in heard[0],
              f"the commit notified sonae_events with id {first}: {heard}")

        portal = Portal(os.path.join(d, "p"), store=f"backend = postgis\ndsn = {pg.dsn('city')}",
                        extra="events_without_auth = true\n")
        check(portal.daemon.proc.poll() is None, "sonae-portald starts on PostGIS")
        check(wait_for(lambda: "LISTEN" in pg.psql(
            "SELECT string_agg(query, ' ') FROM pg_stat_activity WHERE datname = 'city'",
            db="postgres"), 10 * SCALE), "the portal listens on the primary")

        s = SSE(portal.port)
        check(s.status == 200, f"an SSE client connects ({s.status})")
        time.sleep(1.0)  # the stream has started after the newest event
        lags = []
        prev = first
        for i in range(5):
            # A new second each time (a reading of the same second is a
            # duplicate, without an event), not in step with any poll.
            time.sleep(1.05 + 0.37 * i)
            want, t0 = reading(pg, 1.5 + i / 10)
            check(want > prev, f"reading {i} wrote event {want}")
            prev = want
            got = next_event(s, want)
            check(got is not None, f"event {want} reaches the client")
            lags.append(got - t0)
        check(max(lags) < BOUND, f"each within {BOUND} s of its commit (polling waits up to "
              f"10 s): {[round(x, 3) for x in lags]}")

        # The server drops the listener's connection: it listens again, and
        # events flow as before.
        pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'city' "
                "AND query LIKE 'LISTEN%'", db="postgres")
        check(wait_for(lambda: "LISTEN" in pg.psql(
            "SELECT string_agg(query, ' ') FROM pg_stat_activity WHERE datname = 'city'",
            db="postgres"), 10 * SCALE), "the portal listens again after losing its connection")
        time.sleep(1.05)
        want, t0 = reading(pg, 2.5)
        check(want > prev, f"the reading wrote event {want}")
        got = next_event(s, want)
        check(got is not None and got - t0 < BOUND,
              f"and the next event arrives as fast: {got and round(got - t0, 3)}")
        s.close()
        log = portal.daemon.output()
        check("host=" not in log, "the log never prints a dsn")
        # Stopped here, or in finally when a check failed.
        stop_showing_why(portal.daemon)
        portal = None
finally:
    stop_showing_why(portal.daemon if portal else None)
    rmtree(d)
done("portal-events-postgis")
