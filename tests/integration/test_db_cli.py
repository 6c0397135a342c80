"""`sonae db check | migrate | backup | restore | seed` against a real
SpatiaLite file: the seed holds every state and level, backups restore to
identical contents, restore refuses to overwrite a store without --force,
and check finds a damaged file."""

import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from sonaetest import check, done, exe, rmtree, tmpdir  # noqa: E402

d = tmpdir()
conf = os.path.join(d, "s", "sonae.conf")
db = os.path.join(d, "s", "data", "sonae.db")


def sonae(*args):
    return subprocess.run([exe("sonae"), "-c", conf, "db"] + list(args), capture_output=True,
                          timeout=120)


def q(path, sql):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def checksum(path):
    """Row counts and contents of the tables people and collectors write."""
    out = {}
    for t in ["stations", "observations", "station_status", "events", "alerts", "shelters",
              "hazard_features", "reports", "orders", "notices"]:
        rows = q(path, f"SELECT * FROM {t} ORDER BY 1, 2, 3")
        out[t] = (len(rows), hash(repr(rows)))
    return out


try:
    r = subprocess.run([exe("sonae"), "init", os.path.join(d, "s")], capture_output=True)
    check(r.returncode == 0, "sonae init writes a config")

    r = sonae("check")
    check(r.returncode != 0, "check on a store that does not exist yet fails")

    r = sonae("migrate")
    check(r.returncode == 0 and b"schema version" in r.stdout, "migrate creates the store")
    r = sonae("migrate")
    check(r.returncode == 0 and b"applied 0 migrations" in r.stdout, "migrate again applies nothing")

    r = sonae("seed")
    check(r.returncode == 0 and b"100 stations" in r.stdout, "seed reports 100 stations")
    r = sonae("seed")
    check(r.returncode == 0 and b"already seeded" in r.stdout, "seed twice does not duplicate")
    check(q(db, "SELECT count(*) FROM stations")[0][0] == 100, "100 stations stored")

    states = {s for (s,) in q(db, "SELECT state FROM station_status")}
    never = q(db, "SELECT count(*) FROM stations s WHERE NOT EXISTS (SELECT 1 FROM station_status t "
                  "WHERE t.station_id = s.id)")[0][0]
    for s in ["ok", "below_start", "watch", "stale", "offline"]:
        check(s in states, f"seeded stations include state {s}")
    check(never > 0, "seeded stations include never-observed ones (state unknown)")
    levels = {lv for (lv,) in q(db, "SELECT DISTINCT level FROM station_status WHERE state NOT IN "
                                    "('stale', 'offline')")}
    check({1, 2, 3, 4, 5, None} <= levels, f"seeded stations reach every level and none: {levels}")
    for area in ["0620300", "0620400"]:
        lv = {x for (x,) in q(db, f"SELECT level FROM alerts WHERE area_code = '{area}'")}
        check(lv == {1, 2, 3, 4, 5}, f"alerts at each level 1-5 in area {area}")
    check(q(db, "SELECT level FROM area_status WHERE area_code = '0620300' AND exercise = 0")[0][0] == 4,
          "鶴岡市 is at level 4 in the seed")
    check(q(db, "SELECT count(*) FROM hazard_layers WHERE active = 1")[0][0] == 2,
          "two active hazard layers")
    check(q(db, "SELECT count(*) FROM orders WHERE lifted_at IS NULL")[0][0] == 1, "one order in force")
    check(q(db, "SELECT count(*) FROM notices")[0][0] == 1, "one notice")
    check(q(db, "SELECT count(*) FROM reports")[0][0] == 3, "three field reports")
    check(q(db, "SELECT count(*) FROM shelters WHERE is_open = 1")[0][0] >= 1, "an open shelter")

    r = sonae("check")
    check(r.returncode == 0 and b"store OK" in r.stdout, "check passes on the seeded store")

    backup = os.path.join(d, "backup.db")
    r = sonae("backup", backup)
    check(r.returncode == 0 and os.path.isfile(backup), "backup writes a file")
    check(not os.path.exists(backup + "-wal"), "the backup is one self-contained file")
    r = sonae("backup", backup)
    check(r.returncode != 0 and b"exists" in r.stderr, "backup refuses to overwrite a file")
    before = checksum(db)
    check(checksum(backup) == before, "the backup holds the same rows as the store")

    # Something is lost after the backup: a notice deleted by hand.
    con = sqlite3.connect(db)
    con.execute("DELETE FROM notices")
    con.commit()
    con.close()
    r = sonae("restore", backup)
    check(r.returncode != 0 and b"--force" in r.stderr, "restore refuses an existing store without --force")
    check(q(db, "SELECT count(*) FROM notices")[0][0] == 0, "the refused restore changed nothing")
    r = sonae("restore", backup, "--force")
    check(r.returncode == 0, "restore --force succeeds")
    check(checksum(db) == before, "the restored store equals the backup")

    r = sonae("restore", os.path.join(d, "missing.db"), "--force")
    check(r.returncode != 0, "restore from a missing file fails")
    junk = os.path.join(d, "junk.db")
    with open(junk, "wb") as f:
        f.write(b"not a database " * 1000)
    r = sonae("restore", junk, "--force")
    check(r.returncode != 0 and checksum(db) == before, "restore from a non-store fails and changes nothing")

    # A damaged copy: check reports it.
    damaged = os.path.join(d, "damaged.db")
    with open(backup, "rb") as f:
        data = bytearray(f.read())
    for i in range(8192, min(len(data), 8192 + 4096 * 20), 4096):
        data[i + 100:i + 140] = b"\xff" * 40
    with open(damaged, "wb") as f:
        f.write(data)
    conf2 = os.path.join(d, "damaged.conf")
    with open(conf2, "w", encoding="utf-8") as f:
        f.write(f"[store]\npath = {damaged}\n")
    r = subprocess.run([exe("sonae"), "-c", conf2, "db", "check"], capture_output=True, timeout=60)
    check(r.returncode != 0, "check fails on a damaged file")

    r = subprocess.run([exe("sonae"), "-c", conf, "db", "backup"], capture_output=True)
    check(r.returncode == 2, "backup without a file is a usage error")
    r = subprocess.run([exe("sonae"), "-c", conf, "db", "frobnicate"], capture_output=True)
    check(r.returncode == 2, "an unknown db verb is a usage error")
finally:
    rmtree(d)
done("test_db_cli")
