"""The JMA collector (source `jma` of sonae-collectd) against the fixture
server on 127.0.0.1 and a real SpatiaLite store:

1. the real feeds of ../shared/fixtures/jma_feed (links moved to the
   server): 山形地方気象台's telegrams, the national earthquake/tsunami/
   volcano ones and 気象庁's 記録的短時間大雨情報 fetched, other offices not; the two Yamagata documents the
   fixtures hold stored once, every other entry answered 404 and recorded
   gone after one request; the feeds asked conditionally; the area status
   of every 鶴岡市/山形県 area equal to an independent reading of the
   telegram;
2. the 2024-07-25 Yamagata night in H27 form (authored on the real
   VPWW54): 注意報, 警報, 特別警報, a telegram arriving out of order, a
   訂正, a 取消, 土砂災害警戒情報 for the split areas 0620311/0620312,
   解除 — the area status table after each;
3. the same night in R06 form with H27 twins: R06 authoritative per
   phenomenon, VPWW56/VXWW50 shown once, a silent R06 series → unknown;
4. a drill: 訓練 ignored until `[jma] exercise = true`, then counted apart
   and marked exercise; 試験 never;
5. catch-up: entries that rolled out of the short feed while the daemon was
   stopped are read from the long feed, each fetched once;
6. faults on a telegram (500, hang, reset, truncated, HTML): alerts, raw
   documents and events identical after each, the next valid answer
   ingested; a telegram that keeps failing is lost after 5 attempts."""

import json
import os
import signal
import sqlite3
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import jma_authored as A  # noqa: E402
from fixture_server import FixtureServer  # noqa: E402
from sonaetest import FIXTURES, Daemon, check, done, rmtree, stop_showing_why, tmpdir, wait_for  # noqa: E402

FEEDS = os.path.join(FIXTURES, "jma_feed")
EXTRA = os.path.join(FEEDS, "extra_20240725T141650JST_yamagata_heavyrain_entryid-r1.xml")
EQVOL = os.path.join(FEEDS, "eqvol_20240101T205323JST_noto.xml")
EQVOL_L = os.path.join(FEEDS, "eqvol_20260106T140108JST.xml")
OPER = os.path.join(FIXTURES, "jma_xml", "operational")
REAL_DOCS = ["20240725040511_0_VPWW54_060000.xml", "20240725040512_0_VPNO50_060000.xml"]
ATOM = "{http://www.w3.org/2005/Atom}"


def q(db, sql, *args):
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


def area(db, code, exercise=0):
    """(level, {kind code: (name, status, level)}) of an area, None when it has no row."""
    row = q(db, "SELECT level FROM area_status WHERE area_code = ? AND exercise = ?", code, exercise)
    if not row:
        return None
    kinds = q(db, "SELECT kind_code, kind_name, status, level FROM area_kinds_in_force "
                  "WHERE area_code = ? AND exercise = ?", code, exercise)
    return row[0][0], {k: (n, s, lv) for k, n, s, lv in kinds}


def dump(db):
    return (q(db, "SELECT * FROM alerts ORDER BY id"),
            q(db, "SELECT id, url, sha256, bytes FROM raw_documents ORDER BY id"),
            q(db, "SELECT id, type, subject, level, public, exercise, data FROM events ORDER BY id"))


def ledger(db, url):
    r = q(db, "SELECT state, attempts FROM jma_telegrams WHERE url = ?", url)
    return r[0] if r else None


def entries(path):
    root = ET.parse(path).getroot()
    return [(e.find(f"{ATOM}title").text, e.find(f"{ATOM}author/{ATOM}name").text,
             e.find(f"{ATOM}link").get("href")) for e in root.findall(f"{ATOM}entry")]


def independent_h27(path):
    """What an H27 full-state telegram puts in force per 7-digit area, read with ElementTree."""
    ns = {"b": "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/"}
    out = {}
    for w in ET.parse(path).getroot().iter(f"{{{ns['b']}}}Warning"):
        for item in w.findall("b:Item", ns):
            code = item.findtext("b:Area/b:Code", namespaces=ns)
            if not code or len(code) != 7:
                continue
            kinds = out.setdefault(code, set())
            for k in item.findall("b:Kind", ns):
                c, st = k.findtext("b:Code", namespaces=ns), k.findtext("b:Status", namespaces=ns)
                if c and st != "解除":
                    kinds.add(c)
    return out


def start_collector(d, srv, **jma):
    """sonae-collectd on the store d/store.db with [jma] enabled, reading the
    feeds under srv's /feed/, and the other [jma] keys given."""
    conf = os.path.join(d, "sonae.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f"[store]\npath = {os.path.join(d, 'store.db')}\n[jma]\nenabled = true\n"
                f"base_url = {srv.url('/feed/')}\n")
        f.writelines(f"{k} = {v}\n" for k, v in jma.items())
    return Daemon("sonae-collectd", ["-c", conf], env={"SONAE_COLLECTD_SECOND_MS": "5"})


def main():
    d = tmpdir()
    db = os.path.join(d, "store.db")
    dm = None
    with FixtureServer() as srv:
        base = srv.url("/")

        def start(exercise=False):
            return start_collector(d, srv, feeds="extra,eqvol", max_silence=3600,
                                   exercise="true" if exercise else "false")

        try:
            # ---- 1. the real feeds ----
            srv.put("/feed/extra.xml", A.rewrite_feed(EXTRA, base), content_type="application/atom+xml")
            srv.put("/feed/extra_l.xml", A.rewrite_feed(EXTRA, base), content_type="application/atom+xml")
            srv.put("/feed/eqvol.xml", A.rewrite_feed(EQVOL, base), content_type="application/atom+xml")
            srv.put("/feed/eqvol_l.xml", A.rewrite_feed(EQVOL_L, base), content_type="application/atom+xml")
            for name in REAL_DOCS:
                srv.put_file(f"/data/{name}", os.path.join(OPER, name))
            dm = start()
            ours = [e for e in entries(EXTRA) if "山形地方気象台" in e[1]]
            national = [e for e in entries(EQVOL) if e[1] == "気象庁"] + \
                [e for e in entries(EQVOL_L) if e[1] == "気象庁"]
            rain = lambda e: e[1] == "気象庁" and ("_VPOA50_" in e[2] or "_VPBS50_" in e[2])  # noqa: E731
            national_rain = [e for e in entries(EXTRA) if rain(e)]
            others = [e for e in entries(EXTRA) if "山形地方気象台" not in e[1] and not rain(e)]
            local = lambda href: href.replace("https://www.data.jma.go.jp/developer/xml", "")  # noqa: E731
            check(wait_for(lambda: len(q(db, "SELECT url FROM jma_telegrams WHERE state IN ('done','gone')"))
                           >= len({e[2] for e in ours}), 30),
                  f"every 山形地方気象台 entry of the real extra feed fetched ({len(ours)} entries)")
            for _ in range(5):  # five more polls
                n = srv.counts("/feed/extra.xml")["total"]
                check(wait_for(lambda: srv.counts("/feed/extra.xml")["total"] > n, 60), "the feed is polled again")
            docs = q(db, "SELECT url, count(*) FROM raw_documents GROUP BY url")
            check(sorted(u.rsplit("/", 1)[1] for u, _ in docs) == sorted(REAL_DOCS) and
                  all(c == 1 for _, c in docs), "the two Yamagata documents of the fixtures stored once each")
            for name in REAL_DOCS:
                c = srv.counts(f"/data/{name}")
                check(c["total"] == 1, f"{name} requested exactly once ({c['total']})")
            gone = [local(e[2]) for e in ours if e[2].rsplit("/", 1)[1] not in REAL_DOCS]
            counts = [srv.counts(p)["total"] for p in gone]
            check(counts and all(c == 1 for c in counts),
                  f"{len(gone)} Yamagata entries without a document: one request each, no retry storm")
            check(all(ledger(db, e[2].replace("https://www.data.jma.go.jp/developer/xml/", base))[0] == "gone"
                      for e in ours if e[2].rsplit("/", 1)[1] not in REAL_DOCS), "and recorded gone")
            natl = [srv.counts(local(e[2]))["total"] for e in national]
            check(sum(1 for c in natl if c == 1) == len(natl) and natl,
                  f"{len(natl)} national earthquake/tsunami/volcano telegrams asked for once each")
            check(all(srv.counts(local(e[2]))["total"] == 0 for e in others),
                  f"{len(others)} telegrams of other offices never fetched")
            check(national_rain and all(srv.counts(local(e[2]))["total"] == 1 for e in national_rain),
                  f"{len(national_rain)} national 記録的短時間大雨情報 of 気象庁 asked for once each")
            for f in ("/feed/extra.xml", "/feed/eqvol.xml"):
                c = srv.counts(f)
                check(c["full"] == 1 and c["conditional"] >= 5 and c["not_modified"] >= 5,
                      f"{f}: one full request, then conditional ones answered 304 ({c})")
            want = independent_h27(os.path.join(OPER, REAL_DOCS[0]))
            got = {code: area(db, code) for code in want}
            bad = [c for c in want if got[c] is None or set(got[c][1]) != want[c]]
            check(not bad, f"area status of all {len(want)} areas equals the VPWW54 of 13:05 ({bad[:3]})")
            check(got["0620300"][0] == 3 and set(got["0620300"][1]) == {"03", "04", "14"},
                  "鶴岡市 0620300: 大雨警報, 洪水警報, 雷注意報 → level 3")
            check(q(db, "SELECT count(*) FROM alerts WHERE area_code = '0620300'")[0][0] == 3,
                  "three alerts of 鶴岡市 from that telegram")

            # ---- the authored sequences: helpers ----
            feed_entries = []  # the short extra feed from here on

            def put_feed(path="/feed/extra.xml", items=None):
                srv.put(path, A.feed(feed_entries if items is None else items),
                        content_type="application/atom+xml")

            def publish(kind, when, areas, serial_in_name=0, fault=None, in_feed=True, **kw):
                path = A.doc_path(kind, when, serial_in_name)
                if fault:
                    srv.fault(path, fault[0], times=fault[1])
                srv.put(path, A.telegram(kind, when, areas, **kw), content_type="application/xml")
                title = A.TEMPLATES[kind][1]
                entry = (title, "山形地方気象台", base.rstrip("/") + path, when)
                if in_feed:
                    feed_entries.append(entry)
                    put_feed()
                return entry

            def settled(entry, states=("done",)):
                url = entry[2]
                ok = wait_for(lambda: (ledger(db, url) or ("",))[0] in states, 30)
                # Two more requests of the feed: the poll that fetched the
                # telegram (a retry comes before the feed) has finished, and
                # with it the in-force computation.
                n = srv.counts("/feed/extra.xml")["total"]
                return ok and wait_for(lambda: srv.counts("/feed/extra.xml")["total"] >= n + 2, 30)

            def expect(step, table, exercise=0):
                for code, (level, kinds) in table.items():
                    got = area(db, code, exercise)
                    ok = got is not None and got[0] == level and set(got[1]) == set(kinds)
                    check(ok, f"{step}: {code} level {level} kinds {sorted(kinds)} (got {got})")

            T = "0620300", "鶴岡市"
            N, S = ("0620311", "鶴岡市北部"), ("0620312", "鶴岡市南部")

            # ---- 2. the 2024-07-25 night in H27 form ----
            e = publish("VPWW54", A.utc("2024-07-25T18:00"),
                        [(*T, [("10", "大雨注意報", "発表"), ("18", "洪水注意報", "発表")]),
                         ("0620100", "山形市", [("14", "雷注意報", "継続")])])
            e53 = publish("VPWW53", A.utc("2024-07-25T18:00"),
                          [(*T, [("10", "大雨注意報", "発表"), ("18", "洪水注意報", "発表")]),
                           ("0620100", "山形市", [("14", "雷注意報", "継続")])])
            check(settled(e) and settled(e53), "H27 18:00 (VPWW54 and its VPWW53 twin) fetched")
            expect("H27 18:00 注意報", {T[0]: (2, {"10", "18"}), "0620100": (None, {"14"})})
            e = publish("VPWW54", A.utc("2024-07-25T19:00"),
                        [(*T, [("03", "大雨警報", "発表"), ("04", "洪水警報", "発表")])])
            check(settled(e), "H27 19:00 fetched")
            expect("H27 19:00 警報", {T[0]: (3, {"03", "04"}), "0620100": (None, set())})
            e = publish("VPWW54", A.utc("2024-07-25T21:00"),
                        [(*T, [("33", "大雨特別警報", "発表"), ("04", "洪水警報", "継続")])])
            check(settled(e), "H27 21:00 fetched")
            expect("H27 21:00 特別警報", {T[0]: (5, {"33", "04"})})
            e = publish("VPWW54", A.utc("2024-07-25T20:00"),
                        [(*T, [("03", "大雨警報", "継続"), ("04", "洪水警報", "継続")])])
            check(settled(e), "H27 20:00 arriving after 21:00 fetched")
            expect("H27 out of order", {T[0]: (5, {"33", "04"})})
            e = publish("VPWW54", A.utc("2024-07-25T21:10"), info_type="訂正",
                        areas=[(*T, [("33", "大雨特別警報", "継続"), ("04", "洪水警報", "継続"),
                                     ("14", "雷注意報", "発表")])])
            check(settled(e), "H27 21:10 訂正 fetched")
            expect("H27 訂正 replaces", {T[0]: (5, {"33", "04", "14"})})
            e = publish("VPWW54", A.utc("2024-07-25T21:20"), info_type="取消", areas=[])
            check(settled(e), "H27 21:20 取消 fetched")
            expect("H27 取消 cancels the 訂正", {T[0]: (5, {"33", "04"})})
            e = publish("VXWW50", A.utc("2024-07-25T21:30"), event_id="山形県土砂災害警戒情報", serial=1,
                        areas=[(*N, [("3", "警戒", "発表")]), (*S, [("0", "なし", "なし")])])
            check(settled(e), "土砂災害警戒情報 21:30 fetched")
            expect("土砂災害警戒情報 split areas", {N[0]: (4, {"3"}), S[0]: (None, set()), T[0]: (5, {"33", "04"})})
            e = publish("VXWW50", A.utc("2024-07-25T23:00"), event_id="山形県土砂災害警戒情報", serial=2,
                        areas=[(*N, [("1", "解除", "解除")]), (*S, [("0", "なし", "なし")])])
            check(settled(e), "土砂災害警戒情報 解除 fetched")
            e = publish("VPWW54", A.utc("2024-07-26T06:00"),
                        [(*T, [("03", "大雨警報", "解除"), ("04", "洪水警報", "解除")])])
            check(settled(e), "H27 06:00 解除 fetched")
            expect("H27 解除 in the morning", {T[0]: (None, set()), N[0]: (None, set()), S[0]: (None, set())})
            ev = q(db, "SELECT data FROM events WHERE type = 'area.level' AND subject = 'areas/0620300' "
                       "AND exercise = 0 ORDER BY id")
            seq = [json.loads(x[0])["to"] for x in ev]
            check(seq == [3, 2, 3, 5, None], f"area.level events of 鶴岡市 through the night: {seq}")

            # ---- 3. the same night in R06 form with H27 twins (2026) ----
            e1 = publish("VPWW54", A.utc("2026-07-25T18:00"),
                         [(*T, [("03", "大雨警報", "発表"), ("04", "洪水警報", "発表")])])
            e2 = publish("VPWW55", A.utc("2026-07-25T18:00"), [(*T, [("03", "レベル３大雨警報", "発表")])])
            check(settled(e1) and settled(e2), "R06 18:00 and its H27 twin fetched")
            expect("R06 18:00", {T[0]: (3, {"03", "04"})})
            check(area(db, T[0])[1]["03"][0] == "レベル３大雨警報", "the 大雨 kind is the R06 one")
            e1 = publish("VPWW55", A.utc("2026-07-25T19:00"), [(*T, [("43", "レベル４大雨危険警報", "発表")])])
            e2 = publish("VPWW54", A.utc("2026-07-25T19:00"),
                         [(*T, [("03", "大雨警報", "継続"), ("04", "洪水警報", "継続")])])
            e3 = publish("VPWW56", A.utc("2026-07-25T19:00"),
                         [(*N, [("49", "レベル４土砂災害危険警報", "発表")]),
                          (*S, [("29", "レベル２土砂災害注意報", "発表")])])
            e4 = publish("VXWW50R06", A.utc("2026-07-25T19:00"), event_id="山形県土砂災害警戒情報", serial=1,
                         areas=[(*N, [("3", "警戒", "発表")]), (*S, [("0", "なし", "なし")])])
            check(all(settled(x) for x in (e1, e2, e3, e4)), "R06 19:00: VPWW55, VPWW54, VPWW56, VXWW50 fetched")
            expect("R06 authoritative, VPWW56/VXWW50 once",
                   {T[0]: (4, {"43", "04"}), N[0]: (4, {"49"}), S[0]: (2, {"29"})})
            e = publish("VPWW54", A.utc("2026-07-25T21:30"),
                        [(*T, [("03", "大雨警報", "継続"), ("04", "洪水警報", "継続")])])
            check(settled(e), "H27 21:30 alone fetched")
            expect("R06 series silent past max_silence: unknown, not none",
                   {T[0]: (4, {"43", "04", "?大雨"}), N[0]: (4, {"49", "?土砂"})})
            check(area(db, T[0])[1]["?大雨"][1] == "unknown", "the silent series' kind has status unknown")
            real_t = area(db, T[0])

            # ---- 4. a drill ----
            e = publish("VPWW54", A.utc("2026-07-26T09:00"), status="訓練",
                        areas=[(*T, [("33", "大雨特別警報", "発表")])])
            check(settled(e), "訓練 telegram fetched")
            check(area(db, T[0]) == real_t and area(db, T[0], 1) is None,
                  "訓練 with exercise = false: nothing counted, real status unchanged")
            check(q(db, "SELECT count(*) FROM alerts WHERE exercise = 1")[0][0] == 0, "no drill alerts")
            dm.stop()
            dm = start(exercise=True)
            check(wait_for(lambda: area(db, T[0], 1) is not None, 20), "exercise = true: drill status computed")
            expect("drill (exercise)", {T[0]: (5, {"33"})}, exercise=1)
            check(area(db, T[0]) == real_t, "real status untouched by the drill")
            check(q(db, "SELECT count(*) FROM events WHERE type = 'area.level' AND exercise = 1 "
                        "AND subject = 'areas/0620300'")[0][0] >= 1, "area.level event marked exercise")
            e = publish("VPWW54", A.utc("2026-07-26T09:30"), status="訓練",
                        areas=[(*T, [("03", "大雨警報", "継続")])])
            check(settled(e), "second 訓練 telegram fetched")
            expect("drill step 2", {T[0]: (3, {"03"})}, exercise=1)
            check(q(db, "SELECT count(*) FROM alerts WHERE exercise = 1 AND area_code = '0620300'")[0][0] == 1,
                  "its alert stored with exercise = 1")
            e = publish("VPWW54", A.utc("2026-07-26T10:00"), status="試験",
                        areas=[(*T, [("33", "大雨特別警報", "発表")])])
            check(settled(e), "試験 telegram fetched")
            expect("試験 never counts (drill)", {T[0]: (3, {"03"})}, exercise=1)
            check(area(db, T[0]) == real_t, "試験 never counts (real)")

            # ---- 5. catch-up ----
            dm.stop()
            dm = None
            long_only = [publish("VPWW54", A.utc(f"2026-07-27T0{h}:00"), in_feed=False,
                                 areas=[(*T, [("10", "大雨注意報", "発表" if h == 1 else "継続")])])
                         for h in (1, 2, 3)]
            feed_entries[:] = []
            short = [publish("VPWW54", A.utc(f"2026-07-27T0{h}:00"),
                             areas=[(*T, [("10", "大雨注意報", "継続"), ("14", "雷注意報", "発表")])])
                     for h in (4, 5)]
            srv.put("/feed/extra_l.xml", A.feed(long_only + short), content_type="application/atom+xml")
            before = {p: srv.counts(p)["total"] for p in REAL_DOCS}
            dm = start(exercise=True)
            check(all(settled(x) for x in long_only + short), "after the restart: all 5 telegrams fetched")
            c = [srv.counts(x[2].replace(base.rstrip("/"), ""))["total"] for x in long_only + short]
            check(c == [1] * 5, f"each fetched once ({c})")
            check(all(srv.counts(f"/data/{p}")["total"] == 1 for p in REAL_DOCS),
                  "documents fetched before the restart not fetched again")
            # R06 stays authoritative for 大雨 (r06_window): the H27 大雨注意報 is not counted.
            expect("after catch-up", {T[0]: (4, {"43", "?大雨", "14"})})
            # A gap while running: the short feed jumps past entries only the long feed holds.
            g0 = publish("VPWW54", A.utc("2026-07-27T06:00"), in_feed=False,
                         areas=[(*T, [("03", "大雨警報", "発表")])])
            feed_entries[:] = []
            g1 = publish("VPWW54", A.utc("2026-07-27T07:00"), in_feed=False,
                         areas=[(*T, [("03", "大雨警報", "継続"), ("04", "洪水警報", "発表")])])
            srv.put("/feed/extra_l.xml", A.feed(long_only + short + [g0, g1]), content_type="application/atom+xml")
            feed_entries[:] = [g1]
            put_feed()
            check(settled(g1) and settled(g0), "gap: the entry only in the long feed fetched too")
            expect("after the gap", {T[0]: (4, {"43", "?大雨", "04"})})

            # ---- 6. faults on a telegram ----
            srv.hang_seconds = 2.0
            hour = 8
            for kind in ("500", "hang", "reset", "truncate", "html"):
                before = dump(db)
                when = A.utc(f"2026-07-27T{hour:02d}:00")
                hour += 1
                # libcurl retries once, by itself, a request whose reused
                # connection dies without an answer: hang and reset answer
                # twice, so the collector sees the failure.
                times = 2 if kind in ("hang", "reset") else 1
                e = publish("VPWW54", when, fault=(kind, times),
                            areas=[(*T, [("03", "大雨警報", "継続"), ("04", "洪水警報", "継続"),
                                         ("14", "雷注意報", "発表" if hour % 2 else "継続")])])
                path = e[2].replace(base.rstrip("/"), "")
                check(wait_for(lambda: ledger(db, e[2]) == ("pending", 1), 20),
                      f"{kind}: the hostile answer counted as one failed attempt")
                check(srv.counts(path)["faults"] >= 1, f"{kind}: hostile answer served")
                check(dump(db) == before, f"{kind}: alerts, raw documents and events identical after it")
                check(settled(e), f"{kind}: the next valid answer ingested")
                check(srv.counts(path)["served"] == 1 and
                      q(db, "SELECT count(*) FROM raw_documents WHERE url = ?", e[2])[0][0] == 1,
                      f"{kind}: one document served and stored")
                check(dump(db) != before, f"{kind}: and its alerts and events written")
            # A telegram that keeps failing is lost after 5 attempts, with a source.health event.
            e = publish("VPWW54", A.utc("2026-07-27T20:00"), fault=("500", None),
                        areas=[(*T, [("33", "大雨特別警報", "発表")])])
            path = e[2].replace(base.rstrip("/"), "")
            check(wait_for(lambda: (ledger(db, e[2]) or ("",))[0] == "lost", 30), "500 forever: recorded lost")
            check(ledger(db, e[2])[1] == 5 and srv.counts(path)["total"] == 5, "after exactly 5 attempts")
            ev = q(db, "SELECT data, public FROM events WHERE type = 'source.health' AND data LIKE ?",
                   f"%{path}%")
            check(len(ev) == 1 and '"lost"' in ev[0][0] and ev[0][1] == 0,
                  "one source.health event (not public) names the lost telegram")
            n = srv.counts("/feed/extra.xml")["total"]
            wait_for(lambda: srv.counts("/feed/extra.xml")["total"] >= n + 5, 10)
            check(srv.counts(path)["total"] == 5, "never asked for again")
            check(area(db, T[0])[0] != 5, "nothing of the lost telegram counted")
            # A telegram that failed once before a restart is tried again after it.
            e = publish("VPWW54", A.utc("2026-07-27T21:00"), fault=("500", 1),
                        areas=[(*T, [("03", "大雨警報", "継続"), ("04", "洪水警報", "継続")])])
            check(wait_for(lambda: ledger(db, e[2]) == ("pending", 1), 20), "failed once, pending")
            dm.stop()
            dm = start(exercise=True)
            check(settled(e) and ledger(db, e[2]) == ("done", 2), "after a restart: fetched, 2 attempts in all")
            # A hostile feed: the other feed is still read, nothing is stored from
            # the broken one, health goes degraded and back to ok.
            for kind in ("html", "truncate", "500"):
                srv.fault("/feed/extra.xml", kind, times=1)
                eq = srv.counts("/feed/eqvol.xml")["total"]
                before = dump(db)[:2]
                e = publish("VPWW54", A.utc(f"2026-07-27T22:{10 + len(kind):02d}"),
                            areas=[(*T, [("03", "大雨警報", "継続"), ("04", "洪水警報", "継続")])])
                check(wait_for(lambda: srv.counts("/feed/extra.xml")["faults"] >= 1, 10) and
                      wait_for(lambda: srv.counts("/feed/eqvol.xml")["total"] > eq, 10),
                      f"feed {kind}: the other feed still polled")
                check(settled(e), f"feed {kind}: the next valid feed read and its telegram fetched")
                check(dump(db)[1][:len(before[1])] == before[1], f"feed {kind}: nothing stored from it")
                srv.clear_fault("/feed/extra.xml")
                srv.reset_counts()
            ev = [json.loads(x[0]) for x in q(db, "SELECT data FROM events WHERE type = 'source.health' "
                                                  "AND subject = 'sources/jma' ORDER BY id")]
            states = [x.get("to") for x in ev if "to" in x]
            check(states.count("degraded") == 3 and states[-1] == "ok",
                  f"source.health: degraded on each broken feed, ok again ({states})")
        finally:
            stop_showing_why(dm)
    rmtree(d)
    done("test_jma_collector")


if __name__ == "__main__":
    main()
