"""The JMA collector's twins and national telegrams, against the fixture
server on 127.0.0.1 and a real SpatiaLite store:

1. 記録的短時間大雨: JMA sends it twice during the transition, as VPOA50
   (記録的短時間大雨情報, 府県予報区 only) and VPBS50 (府県気象防災速報, the
   municipalities, EventID with a leading K), both authored by 気象庁 in the
   extra feed.  Authored on the real twins of 2026-08-22 (東京都): both are
   fetched once and stored, and each municipality of the offices' prefecture
   gets one 記録的短時間大雨情報 alert per event, whichever twin comes first;
   the same telegram for another prefecture (東京都 板橋区) gives none.
2. The R06 土砂 warning arrives as VPWW56 and as VXWW50: the split area
   shows it once, in its status and in its alerts.
3. The large national aggregates VPWS50 / VPRN50 are never requested while
   `[jma] aggregates` is empty (the server counts requests over several
   polls), and each is requested once when it lists them; other national
   telegrams of the extra feed (VPZJ50) are never requested.
4. `[jma] areas`: only the areas listed get alerts and a status, from the
   office's telegrams and from the national ones alike.
5. `sonae-collectd -n` on bad [jma] values: every one refused with file,
   line and key (an area code of 6 digits, a feed that does not exist, a
   type that is not an aggregate, plain HTTP to a host that is not
   loopback); HTTPS and loopback HTTP accepted."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import jma_authored as A  # noqa: E402
from fixture_server import FixtureServer  # noqa: E402
from sonaetest import SCALE, check, done, exe, rmtree, stop_showing_why, tmpdir, wait_for  # noqa: E402
from test_jma_collector import area, ledger, q, start_collector  # noqa: E402

T = ("0620300", "鶴岡市")
SAKATA = ("0620400", "酒田市")
ITABASHI = ("1311900", "板橋区")
N, S = ("0620311", "鶴岡市北部"), ("0620312", "鶴岡市南部")


def main():
    d, dm, feed = tmpdir(), None, []
    db = os.path.join(d, "store.db")
    with FixtureServer() as srv:
        base = srv.url("/").rstrip("/")

        def start(aggregates="", areas=""):
            return start_collector(d, srv, feeds="extra", aggregates=aggregates, areas=areas)

        def put_feed():
            body = A.feed(feed)
            srv.put("/feed/extra.xml", body, content_type="application/atom+xml")
            srv.put("/feed/extra_l.xml", body, content_type="application/atom+xml")

        def serve(path, body, title, author, when):
            if body is not None:
                srv.put(path, body, content_type="application/xml")
            entry = (title, author, base + path, when)
            feed.append(entry)
            return entry

        def publish(kind, when, areas, **kw):
            path = A.doc_path(kind, when)
            return serve(path, A.telegram(kind, when, areas, **kw), A.TEMPLATES[kind][1],
                         "山形地方気象台", when)

        def twin(kind, when, event_id, second=0, **kw):
            t = when.astimezone(A.datetime.timezone.utc) + A.datetime.timedelta(seconds=second)
            path = f"/data/{t.strftime('%Y%m%d%H%M%S')}_0_{kind}_{'130000' if 'pref' in kw else '060000'}.xml"
            title = "府県気象防災速報" if kind == "VPBS50" else "記録的短時間大雨情報"
            return serve(path, A.rain_twin(kind, when, event_id, **kw), title, "気象庁", t)

        def settled(*entries):
            ok = all(wait_for(lambda e=e: (ledger(db, e[2]) or ("",))[0] in ("done", "gone"), 30)
                     for e in entries)
            n = srv.counts("/feed/extra.xml")["total"]
            return ok and wait_for(lambda: srv.counts("/feed/extra.xml")["total"] >= n + 2, 30)

        def rain_alerts(code):
            return q(db, "SELECT a.kind_name, a.status, a.event_id, r.url FROM alerts a "
                         "JOIN raw_documents r ON r.id = a.document_id "
                         "WHERE a.area_code = ? AND a.title IN ('記録的短時間大雨情報', '府県気象防災速報') "
                         "ORDER BY a.id", code)

        try:
            # ---- 5. -n (first: it needs no daemon) ----
            bad = os.path.join(d, "bad.conf")
            with open(bad, "w", encoding="utf-8") as f:
                f.write("[store]\npath = x.db\n[jma]\nenabled = true\nareas = 0620300, 062030\n"
                        "feeds = extra, bogus\naggregates = VPWW54\nbase_url = http://www.example.jp/feed/\n")
            p = subprocess.run([exe("sonae-collectd"), "-n", "-c", bad], capture_output=True, text=True,
                               timeout=30 * SCALE)
            check(p.returncode != 0 and "configuration OK" not in p.stdout, "-n refuses the bad [jma] values")
            for line, key, what in ((5, "areas", "'062030' is not a 7-digit JMA area code"),
                                    (6, "feeds", "'bogus' is not extra, eqvol, regular or other"),
                                    (7, "aggregates", "'VPWW54' is not VPWS50 or VPRN50"),
                                    (8, "base_url", "HTTPS is required except to loopback")):
                check(f"bad.conf:{line}: error: [jma] {key}: " in p.stderr and what in p.stderr,
                      f"-n: line {line}, [jma] {key}: {what}")
            for url in ("https://www.data.jma.go.jp/developer/xml/feed/", "http://127.0.0.1:9/feed/",
                        "http://[::1]:9/feed/"):
                with open(bad, "w", encoding="utf-8") as f:
                    f.write(f"[store]\npath = x.db\n[jma]\nenabled = true\nbase_url = {url}\n"
                            "aggregates = VPRN50\n")
                p = subprocess.run([exe("sonae-collectd"), "-n", "-c", bad], capture_output=True, text=True,
                                   timeout=30 * SCALE)
                check(p.returncode == 0 and "configuration OK" in p.stdout + p.stderr, f"-n accepts {url}")

            # ---- 1. 記録的短時間大雨 twins ----
            w0 = publish("VPWW54", A.utc("2026-08-01T09:00"),
                         [(*T, [("10", "大雨注意報", "発表")]), (*SAKATA, [("10", "大雨注意報", "発表")])])
            # Aggregates and another national telegram of the extra feed, never wanted by default.
            aggs = [serve(f"/data/20260801000{i}00_0_{k}_010000.xml", None, t, "気象庁", A.utc("2026-08-01T09:00"))
                    for i, (k, t) in enumerate((("VPWS50", "全般気象情報"), ("VPRN50", "大雨危険度通知"),
                                                ("VPZJ50", "全般台風情報")))]
            # VPOA50 first, its VPBS50 twin one second later.
            oa = twin("VPOA50", A.utc("2026-08-01T10:10"), "JPYM202608011010", 0)
            bs = twin("VPBS50", A.utc("2026-08-01T10:10"), "JPYM202608011010", 1, places=(T, SAKATA))
            tokyo = twin("VPBS50", A.utc("2026-08-01T10:10"), "JPTK202608011010", 2,
                         pref=("130000", "東京都"), places=(ITABASHI,))
            # All in the feed before the first poll: the office's telegram and the
            # national ones are stored in the same poll, on an empty store.
            put_feed()
            dm = start()
            check(settled(w0, oa, bs, tokyo),
                  "the office's VPWW54, the two twins and the 東京都 VPBS50 (authored by 気象庁) fetched")
            check([ledger(db, e[2])[0] for e in (oa, bs, tokyo)] == ["done"] * 3, "all three recorded done")
            for e in (oa, bs, tokyo):
                p = e[2][len(base):]
                check(srv.counts(p)["total"] == 1 and
                      q(db, "SELECT count(*) FROM raw_documents WHERE url = ?", e[2])[0][0] == 1,
                      f"{p}: requested once, stored once")
            for code, name in (T, SAKATA):
                got = rain_alerts(code)
                check(len(got) == 1 and got[0][:3] == ("記録的短時間大雨情報", "付近", "KJPYM202608011010"),
                      f"{name} {code}: one 記録的短時間大雨情報 alert (付近) for the twins ({got})")
            check(rain_alerts(ITABASHI[0]) == [], "板橋区 (another prefecture): no alert")
            check(area(db, T[0]) == (2, {"10": ("大雨注意報", "発表", 2)}),
                  "the area status is not changed by 記録的短時間大雨情報")
            # The next event: VPBS50 first, then its VPOA50 twin.
            bs2 = twin("VPBS50", A.utc("2026-08-01T10:40"), "JPYM202608011040", 0, places=(T,))
            oa2 = twin("VPOA50", A.utc("2026-08-01T10:40"), "JPYM202608011040", 1)
            put_feed()
            check(settled(bs2, oa2), "the second pair fetched (VPBS50 first)")
            got = rain_alerts(T[0])
            check(len(got) == 2 and got[1][2] == "KJPYM202608011040" and got[1][3] == bs2[2],
                  f"鶴岡市: one more alert, from the VPBS50 of the second event ({len(got)} in all)")
            check(len(rain_alerts(SAKATA[0])) == 1, "酒田市, not named by the second event: still one")
            # Should a VPOA50 name the municipality too (no real one does): still once per
            # area, whichever twin came first.
            oa3 = twin("VPOA50", A.utc("2026-08-01T10:50"), "JPYM202608011050", 0, warning_area=T)
            bs3 = twin("VPBS50", A.utc("2026-08-01T10:50"), "JPYM202608011050", 1, places=(T, SAKATA))
            put_feed()
            check(settled(oa3, bs3), "a third pair, the VPOA50 naming 鶴岡市, fetched")
            got = [r for r in rain_alerts(T[0]) if r[2].endswith("JPYM202608011050")]
            check(len(got) == 1 and got[0][3] == oa3[2],
                  f"鶴岡市: one alert for the third event, the VPOA50's that came first ({got})")
            got = [r for r in rain_alerts(SAKATA[0]) if r[2].endswith("JPYM202608011050")]
            check(len(got) == 1 and got[0][3] == bs3[2], "酒田市: the VPBS50 gives the area the VPOA50 did not")

            # ---- 2. the R06 土砂 warning as VPWW56 and VXWW50 ----
            e56 = publish("VPWW56", A.utc("2026-08-01T11:00"),
                          [(*N, [("49", "レベル４土砂災害危険警報", "発表")]),
                           (*S, [("29", "レベル２土砂災害注意報", "発表")])])
            e50 = publish("VXWW50R06", A.utc("2026-08-01T11:00"), event_id="山形県土砂災害警戒情報", serial=1,
                          areas=[(*N, [("3", "警戒", "発表")]), (*S, [("0", "なし", "なし")])])
            put_feed()
            check(settled(e56, e50), "VPWW56 and VXWW50 of 11:00 fetched")
            check(area(db, N[0]) is not None and set(area(db, N[0])[1]) == {"49"} and area(db, N[0])[0] == 4,
                  f"鶴岡市北部: レベル４土砂災害危険警報 once in the status ({area(db, N[0])})")
            landslide = q(db, "SELECT kind_code FROM alerts WHERE area_code = ? AND level = 4", N[0])
            check(landslide == [("49",)],
                  f"鶴岡市北部: one level-4 土砂 alert, not one per twin ({landslide})")

            # ---- 3. aggregates ----
            n = srv.counts("/feed/extra.xml")["total"]
            check(wait_for(lambda: srv.counts("/feed/extra.xml")["total"] >= n + 3, 30), "three more polls")
            counts = {e[2][len(base):]: srv.counts(e[2][len(base):])["total"] for e in aggs}
            check(all(c == 0 for c in counts.values()),
                  f"aggregates empty: VPWS50, VPRN50 (and VPZJ50) never requested ({counts})")
            dm.stop()
            dm = start(aggregates="VPWS50, VPRN50")
            for e in aggs[:2]:
                check(wait_for(lambda e=e: (ledger(db, e[2]) or ("",))[0] == "gone", 30),
                      f"aggregates listed: {e[2].rsplit('_', 2)[1]} requested (404 here, recorded gone)")
            n = srv.counts("/feed/extra.xml")["total"]
            wait_for(lambda: srv.counts("/feed/extra.xml")["total"] >= n + 3, 30)
            counts = [srv.counts(e[2][len(base):])["total"] for e in aggs]
            check(counts == [1, 1, 0], f"each listed aggregate requested once, VPZJ50 still never ({counts})")

            # ---- 4. areas ----
            dm.stop()
            dm = start(areas="0620400")
            # 洪水警報: no R06 counterpart, so counted from H27 while the office sends R06 (土砂 above).
            w4 = publish("VPWW54", A.utc("2026-08-01T12:00"),
                         [(*T, [("04", "洪水警報", "発表")]), (*SAKATA, [("04", "洪水警報", "発表")])])
            bs3 = twin("VPBS50", A.utc("2026-08-01T12:10"), "JPYM202608011210", 0, places=(T, SAKATA))
            put_feed()
            check(settled(w4, bs3), "areas = 0620400: the VPWW54 and VPBS50 of 12:00 fetched")
            got = q(db, "SELECT DISTINCT a.area_code FROM alerts a JOIN raw_documents r ON r.id = a.document_id "
                        "WHERE r.url IN (?, ?)", w4[2], bs3[2])
            check(got == [(SAKATA[0],)], f"only 酒田市 gets alerts from either telegram ({got})")
            check(area(db, SAKATA[0]) == (3, {"04": ("洪水警報", "発表", 3)}),
                  f"酒田市's status from the VPWW54 ({area(db, SAKATA[0])})")
            check(area(db, T[0]) is None or "04" not in area(db, T[0])[1], "鶴岡市 (not listed) is not given it")
        finally:
            stop_showing_why(dm)
    rmtree(d)
    done("test_jma_twins")


if __name__ == "__main__":
    main()
