"""sonae-ingestd with `[store] backend = postgis` against a real Mosquitto
and a real PostgreSQL 15 + PostGIS 3 (tests/lib/pgserver.py): every
reading stored exactly once, also when the server kills the daemon's
connection (pg_terminate_backend) again and again mid-stream.  The daemon
keeps each message unacknowledged until its commit succeeds, the store
reconnects, and the broker's redeliveries are harmless duplicates."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pgserver import PgServer  # noqa: E402
from sensornet import Net, node_client, pack, publish_all, up  # noqa: E402
from sonaetest import SCALE, check, done, wait_for  # noqa: E402

DEV = "pg-001"
PACKS = 40
PER_PACK = 6
TOTAL = PACKS * PER_PACK

with PgServer() as pg:
    pg.psql("CREATE DATABASE sonae TEMPLATE sonae_template", db="postgres")

    def sql(q):
        return pg.psql(q, db="sonae")

    net = Net(tls=False, store=f"backend = postgis\ndsn = {pg.dsn('sonae')}")
    try:
        net.start_broker()
        r = net.sonae("db", "migrate")
        check(r.returncode == 0, f"sonae db migrate on postgis: {r.stderr}")
        net.add_device(DEV, "st-pg", 5.0)
        net.reload_broker()  # the broker reads the new device's password
        check(sql("SELECT count(*) FROM devices WHERE device = 'pg-001'") == "1",
              "sonae device add writes the device into PostgreSQL")
        d = net.start_ingestd()
        check(wait_for(lambda: "connected to the broker" in d.output(), 10),
              "sonae-ingestd (backend = postgis) connects to the broker")

        n = node_client(net, DEV)
        t0 = int(time.time()) - TOTAL * 60
        packs = []
        for p in range(PACKS):
            rs = [{"t": t0 + (p * PER_PACK + i) * 60, "seq": p * PER_PACK + i,
                   "dist": 1.0 + 0.001 * (p * PER_PACK + i), "batt": 3.6, "rssi": -80}
                  for i in range(PER_PACK)]
            packs.append((up(DEV), pack(DEV, 1, rs)))

        # The first quarter, stored normally.
        publish_all(n, packs[:10])
        check(wait_for(lambda: sql("SELECT count(*) FROM readings") == str(10 * PER_PACK), 20),
              "the first 60 readings are stored")

        # The rest while the server terminates the daemon's connection
        # every 150 ms for two seconds.
        kills = []

        def killer():
            end = time.monotonic() + 2 * SCALE
            while time.monotonic() < end:
                kills.append(sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE datname = 'sonae' AND application_name = 'sonae'"))
                time.sleep(0.15)

        k = threading.Thread(target=killer)
        k.start()
        for i in range(10, PACKS):
            publish_all(n, [packs[i]], timeout=120)
            time.sleep(0.05)
        k.join()
        killed = sum(int(x) for x in kills)
        check(killed >= 1, f"the daemon's connection was terminated ({killed} times)")
        check(wait_for(lambda: sql("SELECT count(*) FROM readings") == str(TOTAL), 30),
              f"all {TOTAL} readings stored after the reconnects")
        check(sql("SELECT count(DISTINCT (epoch, seq)) FROM readings") == str(TOTAL)
              and sql("SELECT min(seq) || '-' || max(seq) FROM readings") == f"0-{TOTAL - 1}",
              "each seq 0..239 exactly once")
        check(sql("SELECT count(*) FROM observations o JOIN stations s ON s.id = o.station_id "
                  "WHERE s.external_id = 'st-pg' AND o.quantity = 'water_level_m'")
              == str(TOTAL), "one water_level_m observation per reading, none twice")
        check(sql("SELECT count(*) FROM reading_gaps WHERE closed_at IS NULL") == "0",
              "no sequence gap left open")
        ev = sql("SELECT coalesce(sum((data->>'count')::int), 0) FROM events WHERE type = "
                 "'station.observations'")
        nobs = sql("SELECT count(*) FROM observations")
        check(ev == nobs, f"the coalesced events count every observation once ({ev} of {nobs})")
        out = d.output()
        check("store trouble" in out,
              "the daemon saw the lost connection and held the message")
        check("store writable again" in out, "and said when the store came back")
        last = sql("SELECT value FROM station_status s JOIN stations t ON t.id = s.station_id "
                   "WHERE t.external_id = 'st-pg'")
        check(abs(float(last) - (5.0 - (1.0 + 0.001 * (TOTAL - 1)))) < 1e-9,
              f"the latest state is the newest reading ({last})")
        n.loop_stop()
        n.disconnect()
    finally:
        if net.ingestd:
            print(net.ingestd.output()[-3000:])
        net.close()
done("ingest-postgis")
