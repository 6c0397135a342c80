#!/usr/bin/python3
"""The store's two backends in one run, each figure with its
PostGIS/SpatiaLite ratio (docs/scale.md):

1. ingest: readings/s committed by sonae-ingestd through a real Mosquitto at
   QoS 1 (bench_ingest.py's measure), on a SpatiaLite file and on PostGIS,
   beside the counting subscriber of the same broker (the ceiling);
2. national: 20,000 gauges every 10 minutes as observation batches
   (bench-national): seconds per 10-minute round and the headroom;
3. hazard: geo_hazard_at + geo_shelters_near per lookup (bench-geo,
   20,000 polygons), p50 and p99 of both against the aim of p99 < 2 ms.

PostgreSQL 15 + PostGIS 3 is started by tests/lib/pgserver.py with its own
durability on (fsync and synchronous commit, which the tests' server turns
off), so both backends commit to this machine's disk.  SpatiaLite runs as
Sonae configures it (WAL, synchronous=normal).

    SONAE_BUILD_ROOT=build SONAE_SOURCE_ROOT=. /usr/bin/python3 tests/bench/bench_backends.py \\
        [--messages N] [--gauges N] [--polygons N] [--only ingest,national,hazard]

Not a timed test: it gates nothing.  Exits non-zero only when a benchmark
itself fails."""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import bench_ingest  # noqa: E402
from pgserver import PgServer  # noqa: E402
from sensornet import Net  # noqa: E402
from sonaetest import BUILD, REDUCED, wait_for  # noqa: E402

BACKENDS = ("spatialite", "postgis")


def ratio(results, what):
    """PostGIS over SpatiaLite for one figure."""
    s, p = results.get(("spatialite", what)), results.get(("postgis", what))
    if s is None or p is None:
        return "n/a"
    return f"{p / s:.2f}x"


# The ingest measure on four stores: each backend with a commit that waits
# for the disk and with one that does not.  SpatiaLite's synchronous=normal
# (Sonae's default) keeps every commit through a crash of the process, not
# of the machine; PostgreSQL's synchronous_commit=off can lose the last
# commits even to a crash of the server, which exactly-once does not allow
# (a message is acknowledged once committed): it is measured to show where
# the time goes, not as a way to run.
INGEST_STORES = (
    ("spatialite", "normal", "path = sonae.db\nsynchronous = normal"),
    ("spatialite", "full", "path = sonae.db\nsynchronous = full"),
    ("postgis", "on", None),
    ("postgis", "off", None),
)


def bench_ingest_on(backend, mode, store, pg, messages):
    """QoS 1 readings/s committed, and the counting subscriber's rate."""
    bench_ingest.M = messages
    bench_ingest.R = 1
    if backend == "postgis":
        pg.psql("DROP DATABASE IF EXISTS ingest", db="postgres")
        pg.psql("CREATE DATABASE ingest TEMPLATE sonae_template", db="postgres")
        pg.psql(f"ALTER DATABASE ingest SET synchronous_commit = {mode}", db="postgres")
        net = Net(tls=False, store=f"backend = postgis\ndsn = {pg.dsn('ingest')}")

        def count():
            return int(pg.psql("SELECT count(*) FROM readings", db="ingest"))
    else:
        net = Net(tls=False, store=store)
        count = None
    try:
        net.start_broker()
        if backend == "postgis":
            r = net.sonae("db", "migrate")
            if r.returncode != 0:
                raise RuntimeError(f"sonae db migrate: {r.stderr}")
        prov = net.add_device(bench_ingest.DEV, "st-bench", 5.0, interval=60)
        net.reload_broker()
        base = bench_ingest.baseline(net, prov["password"], 1)
        d = net.start_ingestd()
        wait_for(lambda: "connected to the broker" in d.output(), 10)
        rate, got = bench_ingest.ingest(net, prov["password"], 1, 0, count)
        net.stop_ingestd()
    finally:
        net.close()
    label = f"{backend} {'synchronous' if backend == 'spatialite' else 'synchronous_commit'}={mode}"
    print(f"  ingest ({label}): {rate:8.0f} readings/s committed ({got} of {messages}), "
          f"counting subscriber {base:8.0f}/s, ratio {rate / base:.2f}x")
    return rate


def run_bench(exe_name, args, env, what, backend):
    """Runs a C benchmark; its RESULT line's first number, or None when the
    backend lacks what it needs (exit 3)."""
    r = subprocess.run([os.path.join(BUILD, "tests", "bench", exe_name)] + args, env=env,
                       capture_output=True, text=True, timeout=3600)
    for line in r.stdout.splitlines():
        if not line.startswith("RESULT"):
            print("  " + line)
    if r.returncode == 3:
        return None
    if r.returncode != 0:
        raise RuntimeError(f"{exe_name} ({backend}) failed: {r.stderr.strip()}")
    for line in r.stdout.splitlines():
        if line.startswith(f"RESULT {what} {backend} "):
            return float(line.split()[3])
    raise RuntimeError(f"{exe_name} ({backend}) printed no result")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000 if REDUCED else 10000)
    ap.add_argument("--gauges", type=int, default=2000 if REDUCED else 20000)
    ap.add_argument("--polygons", type=int, default=20000)
    ap.add_argument("--only", default="ingest,national,hazard")
    a = ap.parse_args()
    only = a.only.split(",")
    results = {}
    print(f"bench-backends: {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f} at the start")
    with PgServer(durable=True) as pg:
        for backend in BACKENDS:
            env = dict(os.environ)
            if backend == "postgis":
                env = pg.env()
            if "ingest" in only:
                for b, mode, store in INGEST_STORES:
                    if b == backend:
                        results[(backend, "ingest-" + mode)] = bench_ingest_on(
                            b, mode, store, pg, a.messages)
            if "national" in only:
                if backend == "postgis":
                    pg.psql("DROP DATABASE IF EXISTS national", db="postgres")
                    pg.psql("CREATE DATABASE national TEMPLATE sonae_template", db="postgres")
                    env["SONAE_PG_DSN"] = pg.dsn("national")
                results[(backend, "national")] = run_bench(
                    "bench-national", [str(a.gauges), "4", "1000"], env, "national", backend)
            if "hazard" in only:
                if backend == "postgis":
                    pg.psql("DROP DATABASE IF EXISTS geo", db="postgres")
                    pg.psql("CREATE DATABASE geo TEMPLATE sonae_template", db="postgres")
                    env["SONAE_PG_DSN"] = pg.dsn("geo")
                v = run_bench("bench-geo", [str(a.polygons)], env, "hazard", backend)
                if v is not None:
                    results[(backend, "hazard")] = v
    print()
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    if "ingest" in only:
        g = {k[1]: v for k, v in results.items()}
        print(f"ingest, readings/s at QoS 1, each commit to the disk: spatialite (full) "
              f"{g['ingest-full']:.0f}  postgis (on) {g['ingest-on']:.0f}  PostGIS/SpatiaLite "
              f"{g['ingest-on'] / g['ingest-full']:.2f}x")
        print(f"ingest, as configured by default:                     spatialite (normal) "
              f"{g['ingest-normal']:.0f}  postgis (on) {g['ingest-on']:.0f}  PostGIS/SpatiaLite "
              f"{g['ingest-on'] / g['ingest-normal']:.2f}x")
        print(f"ingest, neither waiting for the disk:                 spatialite (normal) "
              f"{g['ingest-normal']:.0f}  postgis (off) {g['ingest-off']:.0f}  PostGIS/SpatiaLite "
              f"{g['ingest-off'] / g['ingest-normal']:.2f}x")
    if "national" in only:
        s, p = results[("spatialite", "national")], results[("postgis", "national")]
        print(f"national, s per 10-min round:     spatialite {s:.2f} (headroom {600 / s:.0f}x)"
              f"  postgis {p:.2f} (headroom {600 / p:.0f}x)"
              f"  PostGIS/SpatiaLite {ratio(results, 'national')} (time)")
    if "hazard" in only:
        if ("postgis", "hazard") in results:
            print(f"hazard, p50 us per lookup:        spatialite "
                  f"{results[('spatialite', 'hazard')]:.0f}  postgis "
                  f"{results[('postgis', 'hazard')]:.0f}  PostGIS/SpatiaLite "
                  f"{ratio(results, 'hazard')} (time)")
        else:
            print(f"hazard, p50 us per lookup:        spatialite "
                  f"{results[('spatialite', 'hazard')]:.0f}  postgis: bench-geo measured "
                  f"nothing there (exit 3, above)")
    return 0


if __name__ == "__main__":
    t = time.monotonic()
    rc = main()
    print(f"({time.monotonic() - t:.0f} s)")
    sys.exit(rc)
