"""River and rain sources through the real sonae-collectd into a real
SpatiaLite store, from the fixture server on 127.0.0.1:

- kriver: the three real k.river snapshots (unwrapped into the raw listing
  the site serves) as three polls re-stamped ten minutes apart: gauges rise,
  fall and drop out (below_start), levels and states as the contract says,
  鶴岡市's gauges present, station.level / station.state events written;
- kawabou (authored), two table feeds (a Shift_JIS CSV with Japanese
  headers, a nested JSON) and a third shape added here by config alone;
  malformed rows skipped with a logged reason, the rest kept;
- amedas: the real AMeDAS map and station table: the 10-minute, 1 h, 3 h
  and 24 h values, names and points, no level; stale for the 2021 map, ok
  once the same map is served as the newest (JST file name, UTC store);
- faults: 500, a truncated body and a hang on the kriver feed while the
  other sources keep polling, and nothing of a broken body stored.

The store is read with Python's sqlite3 (plain tables)."""

import datetime
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from fixture_server import FixtureServer  # noqa: E402
from river_fixtures import SNAPSHOTS, kriver_body, load_snapshot, raw_items, restamp  # noqa: E402
from sonaetest import FIXTURES, SCALE, SOURCE, Daemon, check, done, rmtree, tmpdir, wait_for  # noqa: E402

ORDER = [SNAPSHOTS[0], SNAPSHOTS[2], SNAPSHOTS[1]]  # 27, 29, 2 gauges in 山形県
AUTHORED = os.path.join(SOURCE, "tests", "fixtures", "river")
AMEDAS = os.path.join(FIXTURES, "jma_bosai_json", "amedas")


def q(db, sql, *args):
    """Rows of a query; none while the daemon has not created the store yet."""
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise
    finally:
        con.close()


def stations(db, source):
    rows = q(db, "SELECT s.external_id, st.value, st.observed_at, st.level, st.state, s.area_code, "
                 "s.thr_start, st.rate_m_per_h FROM stations s JOIN station_status st "
                 "ON st.station_id = s.id WHERE s.source = ?", source)
    return {r[0]: r[1:] for r in rows}


def expect_crisis(it):
    v = it.get("level")
    if v is None:
        return None, "unknown"
    level = None
    if it.get("warnLevel") is not None and v >= it["warnLevel"]:
        level = 4
    if it.get("fladLevel") is not None and v >= it["fladLevel"]:
        level = 5
    state = "watch" if it.get("startLevel") is None or v >= it["startLevel"] else "below_start"
    return level, state


d = tmpdir()
dm = None
ok = False
try:
    now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    t0 = now - datetime.timedelta(minutes=20)
    with FixtureServer() as srv:
        snaps = [raw_items(load_snapshot(n), "06000") for n in ORDER]
        srv.put("/kriver/06.json", kriver_body(restamp(snaps[0], t0)))
        # The authored feeds, re-stamped to now so that no gauge is stale
        # while the test looks (the times are ASCII in Shift_JIS too).
        jst = datetime.timezone(datetime.timedelta(hours=9))
        jst_now = now.astimezone(jst).strftime("%Y/%m/%d %H:%M")
        ago = (now - datetime.timedelta(minutes=10)).astimezone(jst).strftime("%Y/%m/%d %H:%M")
        iso_now = now.astimezone(jst).isoformat(timespec="seconds")
        utc_now = now.strftime("%Y-%m-%dT%H:%M:%SZ")

        def restamped(name, pairs):
            with open(os.path.join(AUTHORED, name), "rb") as f:
                b = f.read()
            for old, new in pairs:
                b = b.replace(old.encode(), new.encode())
            return b

        srv.put("/kawabou/06.json", restamped("kawabou_authored.json",
                                              [("2024/07/25 20:00", jst_now), ("2024/07/25 19:50", ago)]))
        srv.put("/pref/levels.csv", restamped("table_sjis.csv", [("2024/07/25 20:00", jst_now)]),
                content_type="text/csv; charset=Shift_JIS")
        srv.put("/pref/levels.json", restamped("table_nested.json", [("2024-07-25T20:00:00+09:00", iso_now),
                                                                    ("2024-07-25T11:00:00Z", utc_now)]))
        # A third shape, by config alone: an object keyed by station id.
        third = {"updated": jst_now, "gauges": {
            "T-1": {"名称": "鶴岡市 内川 新形橋", "緯度": 38.7272, "経度": 139.8266,
                    "水位": {"値": 1.85, "時刻": jst_now},
                    "基準": {"注意": 1.80, "危険": 2.40}},
            "T-2": {"名称": "鶴岡市 青龍寺川", "緯度": 38.7390, "経度": 139.8110,
                    "水位": {"値": "欠測", "時刻": jst_now},
                    "基準": {"注意": 1.10, "危険": 1.60}},
            "T-3": {"名称": "時刻不明", "緯度": 38.74, "経度": 139.81,
                    "水位": {"値": 0.5, "時刻": "不明"}, "基準": {"注意": 1.0, "危険": 2.0}}}}
        srv.put("/city/gauges.json", json.dumps(third, ensure_ascii=False))
        srv.put("/amedas/data/latest_time.txt", "2021-02-24T15:00:00+09:00\n")
        srv.put_file("/amedas/data/map/20210224150000.json", os.path.join(AMEDAS, "map_20210224150000.json"))
        srv.put_file("/amedas/const/amedastable.json", os.path.join(AMEDAS, "amedastable.json"))

        conf = os.path.join(d, "sonae.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"""[store]
path = store.db
[source.kriver-yamagata]
type = kriver
interval = 10
timeout = 2
backoff_max = 20
url = {srv.url('/kriver/06.json')}
[source.kriver-tsuruoka]
type = kriver
interval = 10
url = {srv.url('/kriver/06.json')}
towns = 06203
[source.kawabou-shonai]
type = kawabou
interval = 10
url = {srv.url('/kawabou/06.json')}
[source.pref-csv]
type = table
interval = 10
url = {srv.url('/pref/levels.csv')}
format = csv
encoding = shift_jis
header_line = 2
col_id = 観測所番号
col_name = 観測所名
col_river = 河川名
col_time = 観測日時
time_format = %Y/%m/%d %H:%M
col_level = 水位(m)
col_standby = 水防団待機水位
col_caution = 氾濫注意水位
col_evacuation = 避難判断水位
col_danger = 氾濫危険水位
col_lat = 緯度
col_lon = 経度
[source.pref-json]
type = table
interval = 10
url = {srv.url('/pref/levels.json')}
format = json
rows = result.area.stations
col_id = station.code
col_name = station.name
col_river = station.river
col_lat = station.location.lat
col_lon = station.location.lon
col_time = obs.time
col_level = obs.level
col_standby = criteria.standby
col_caution = criteria.caution
col_evacuation = criteria.evacuation
col_danger = criteria.danger
col_flood = criteria.flood
[source.city-json]
type = table
interval = 10
url = {srv.url('/city/gauges.json')}
format = json
rows = gauges
col_id = $key
col_name = 名称
col_lat = 緯度
col_lon = 経度
col_time = 水位.時刻
time_format = %Y/%m/%d %H:%M
col_level = 水位.値
col_caution = 基準.注意
col_danger = 基準.危険
[source.amedas-shonai]
type = amedas
interval = 10
url = {srv.url('/amedas/data/map/')}
stations = 35141,35146,35201,99999
""")
        db = os.path.join(d, "store.db")
        dm = Daemon("sonae-collectd", ["-c", conf], env={"SONAE_COLLECTD_SECOND_MS": "50"})

        # ---- kriver: three polls ten minutes apart ----
        prev = {}
        for i, items in enumerate(snaps):
            when = t0 + datetime.timedelta(minutes=10 * i)
            restamp(items, when)
            srv.put("/kriver/06.json", kriver_body(items))
            ts = int(when.timestamp())
            check(wait_for(lambda: os.path.exists(db) and sum(
                1 for r in stations(db, "kriver-yamagata").values() if r[1] == ts) == len(items), 15),
                f"poll {i + 1}: all {len(items)} listed gauges stored at the new time")
            got = stations(db, "kriver-yamagata")
            listed = {it["code"]: it for it in items}
            bad = [c for c, it in listed.items()
                   if (got[c][2], got[c][3]) != expect_crisis(it) or got[c][0] != it["level"]]
            check(not bad, f"poll {i + 1}: levels and states as the contract says ({bad[:3]})")
            # Rate of rise: from the reading ten or twenty minutes before.
            rates = []
            for c, it in listed.items():
                if c in prev:
                    first = prev[c][0]
                    want = (it["level"] - first[1]) / ((ts - first[0]) / 3600.0)
                    rates.append(abs(got[c][6] - want) < 1e-6)
            check(all(rates), f"poll {i + 1}: rate of rise of {len(rates)} gauges over the hour")
            gone = [c for c in got if c not in listed]
            check(all(got[c][3] == "below_start" and got[c][2] is None for c in gone),
                  f"poll {i + 1}: {len(gone)} gauges out of the listing are below_start, no level")
            for c, it in listed.items():
                prev.setdefault(c, []).append((ts, it["level"]))
            if i == 0:
                ts_first = [c for c, r in got.items() if r[4] == "0620300"]
                check(len(ts_first) == 10, f"鶴岡市's 10 gauges present (area 0620300): {len(ts_first)}")
                check(wait_for(lambda: sorted(stations(db, "kriver-tsuruoka")) == sorted(ts_first), 10),
                      "towns = 06203 keeps exactly 鶴岡市's gauges")
        ev = q(db, "SELECT type, data FROM events WHERE type IN ('station.level', 'station.state')")
        check(any(t == "station.level" for t, _ in ev), "station.level events written by the store")
        check(sum(1 for t, data in ev if t == "station.state" and '"to":"below_start"' in data) >= 25,
              "station.state events for the gauges that dropped out")

        # ---- kawabou and the table feeds ----
        check(wait_for(lambda: len(stations(db, "kawabou-shonai")) == 7, 10), "kawabou: 7 gauges stored")
        kb = stations(db, "kawabou-shonai")
        check([kb[f"208770040000{k}"][2] for k in range(1, 7)] == [None, 1, 2, 3, 4, 5],
              "kawabou: levels none, 1..5 from the five thresholds")
        check(kb["2087700400007"][3] == "unknown", "kawabou: a gauge without a reading is unknown")
        check(wait_for(lambda: len(stations(db, "pref-csv")) == 4, 10),
              "Shift_JIS CSV: 4 gauges stored")
        pc = stations(db, "pref-csv")
        check([pc[k][2] for k in ("601001", "601002", "601003")] == [None, 1, 3]
              and pc["601004"][3] == "unknown",
              "Shift_JIS CSV: levels none, 1, 3 and 欠測 unknown")
        check(wait_for(lambda: "pref-csv: 1 gauges have no point or crossed thresholds and were not "
                               "stored (601007)" in dm.output(), 10) and "601007" not in pc,
              "Shift_JIS CSV: a gauge without a point (601007 温海) is not stored, and the log names it")
        check(wait_for(lambda: len(stations(db, "pref-json")) == 3, 10), "nested JSON: 3 gauges stored")
        pj = stations(db, "pref-json")
        check(pj["S-0101"][2] == 3 and pj["S-0102"][2] is None and pj["S-0103"][3] == "unknown",
              "nested JSON: levels 3, none, and a null level unknown")
        out = dm.output()
        check("pref-csv: skipped: row 7 (601005): level is not a number" in out,
              "Shift_JIS CSV: a non-numeric level is skipped with its reason")
        check("pref-csv: skipped: row 8: 4 fields, fewer than the header" in out,
              "Shift_JIS CSV: a short row is skipped with its reason")
        check("pref-json: skipped: row 4: no station id" in out and
              "pref-json: skipped: row 5 (S-0105): time not in the configured format" in out,
              "nested JSON: rows without id or time are skipped with reasons")
        check(wait_for(lambda: len(stations(db, "city-json")) == 2, 10),
              "third shape by config alone: 2 of 3 gauges stored")
        cj = stations(db, "city-json")
        check(cj["T-1"][2] == 2 and cj["T-1"][3] == "ok" and abs(cj["T-1"][0] - 1.85) < 1e-9,
              "third shape: level 2 (氾濫注意 reached)")
        check(cj["T-2"][3] == "unknown", "third shape: 欠測 makes the state unknown")
        check("city-json: skipped: row 3 (T-3): time not in the configured format" in dm.output(),
              "third shape: a bad time is skipped with its reason")

        # ---- amedas ----
        check(wait_for(lambda: len(q(db, "SELECT 1 FROM stations WHERE source = 'amedas-shonai'")) == 3, 10),
              "AMeDAS: the 3 existing stations stored (99999 is not)")
        rows = q(db, "SELECT s.external_id, s.name, round(s.lat, 4), o.quantity, o.value, o.observed_at "
                     "FROM stations s JOIN observations o ON o.station_id = s.id "
                     "WHERE s.source = 'amedas-shonai' ORDER BY 1, 4")
        with open(os.path.join(AMEDAS, "map_20210224150000.json"), encoding="utf-8") as f:
            amap = json.load(f)
        t_map = int(datetime.datetime(2021, 2, 24, 6, 0, tzinfo=datetime.timezone.utc).timestamp())
        want = []
        for sid in ("35141", "35146", "35201"):
            for qty, key in (("precip_10m_mm", "precipitation10m"), ("precip_1h_mm", "precipitation1h"),
                             ("precip_3h_mm", "precipitation3h"), ("precip_24h_mm", "precipitation24h")):
                v, flag = amap[sid][key]
                if v is not None and flag == 0:
                    want.append((sid, qty, float(v), t_map))
        check(sorted((r[0], r[3], r[4], r[5]) for r in rows) == sorted(want),
              f"AMeDAS: 10-minute, 1 h, 3 h and 24 h precipitation as in the map ({len(want)} values)")
        check(any(r[0] == "35141" and r[1] == "鶴岡" and r[2] == round(38 + 44.1 / 60, 4) for r in rows),
              "AMeDAS: 鶴岡 35141 with its name and point from amedastable.json")
        rs = stations(db, "amedas-shonai")
        # The fixture's map is of 2021-02-24: far past expected_interval × grace.
        check(all(rs[k][2] is None and rs[k][3] == "stale" and rs[k][0] == amap[k]["precipitation10m"][0]
                  for k in ("35141", "35146", "35201")),
              f"AMeDAS: the 10-minute value as the station's value, no level, stale (an old map) ({rs})")
        # The same map as the newest one (times re-stamped to now): fresh, so ok.
        fresh = now.replace(minute=now.minute // 10 * 10)
        srv.put_file(f"/amedas/data/map/{fresh.astimezone(jst).strftime('%Y%m%d%H%M%S')}.json",
                     os.path.join(AMEDAS, "map_20210224150000.json"))
        srv.put("/amedas/data/latest_time.txt", fresh.astimezone(jst).isoformat(timespec="seconds") + "\n")
        check(wait_for(lambda: all(r[1] == int(fresh.timestamp()) and r[3] == "ok" and r[2] is None
                                   for r in stations(db, "amedas-shonai").values()), 15),
              "AMeDAS: a current map (JST name, UTC in the store) makes the stations ok, still no level")

        # ---- faults on the kriver feed: others keep polling, nothing broken stored ----
        before = q(db, "SELECT count(*), max(id) FROM observations o JOIN stations s ON s.id = o.station_id "
                       "WHERE s.source = 'kriver-yamagata'")[0]
        items = snaps[2]
        restamp(items, now + datetime.timedelta(minutes=10))
        for p in items:
            p["level"] = p["level"] + 1.0
        srv.put("/kriver/06.json", kriver_body(items))
        for kind in ("500", "truncate", "hang"):
            srv.fault("/kriver/06.json", kind)
            n = srv.counts("/kriver/06.json")["faults"]
            m = srv.counts("/kawabou/06.json")["total"]
            check(wait_for(lambda: srv.counts("/kriver/06.json")["faults"] > n, 30),
                  f"kriver answered with '{kind}'")
            check(wait_for(lambda: srv.counts("/kawabou/06.json")["total"] >= m + 3, 10),
                  f"kawabou keeps polling during kriver's '{kind}'")
            after = q(db, "SELECT count(*) FROM observations o JOIN stations s ON s.id = o.station_id "
                          "WHERE s.source = 'kriver-yamagata'")[0][0]
            check(after == before[0], f"nothing of kriver's '{kind}' answer stored")
        srv.clear_fault("/kriver/06.json")
        check(wait_for(lambda: q(db, "SELECT count(*) FROM observations o JOIN stations s ON s.id = "
                                     "o.station_id WHERE s.source = 'kriver-yamagata'")[0][0]
                       == before[0] + len(items), 40),
              "after the faults the next valid listing is stored")
        check(dm.proc.poll() is None, "the daemon ran through every fault")
        ok = True
finally:
    if dm:
        if not ok:
            print(dm.output()[-5000:])
        dm.stop()
    rmtree(d)
done("rivers")
