"""sonae-collectd's framework: config checks (-n), polite fetching
(conditional GET, User-Agent, redirects, byte cap, HTTPS rule), the
scheduler's backoff and recovery, and isolation: a hanging, failing or
garbled source never stops the others.  Runs the real daemon against the
fixture server on 127.0.0.1, serving the real k.river snapshot in its raw
form."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from fixture_server import FixtureServer  # noqa: E402
from river_fixtures import SNAPSHOTS, kriver_body, load_snapshot, raw_items  # noqa: E402
from sonaetest import SCALE, Daemon, check, done, exe, rmtree, tmpdir, wait_for  # noqa: E402

SECOND_MS = 50  # a configured second lasts 50 ms: interval 10 → 0.5 s


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def run_check(conf):
    p = subprocess.run([exe("sonae-collectd"), "-n", "-c", conf], capture_output=True, text=True,
                       timeout=30 * SCALE)
    return p.returncode, p.stdout + p.stderr


d = tmpdir()
try:
    # ---- -n validates every source's own keys ----
    conf = os.path.join(d, "bad.conf")
    write(conf, "[source.k]\ntype = kriver\nurl = https://k.river.go.jp/x/06.json\n"
                "expected_interval = 5\nbogus_key = 1\n"
                "[source.plain]\ntype = kriver\nurl = http://k.river.go.jp/x/06.json\n"
                "[source.r]\ntype = amedas\nurl = https://www.jma.go.jp/bosai/amedas/data/map/\n"
                "stations = 35141,tsuruoka\ntimeout = 0\n")
    rc, out = run_check(conf)
    check(rc != 0, "-n refuses a config with bad source keys")
    check("bad.conf:4: error: [source.k] expected_interval" in out,
          "an out-of-range source key names file, line, section and key")
    check("bad.conf:5: warning: [source.k] bogus_key: unknown key" in out, "an unknown source key warns")
    check("[source.plain] url" in out and "HTTPS" in out,
          "plain HTTP to a non-loopback host is refused")
    check("[source.r] stations" in out and "tsuruoka" in out, "a bad AMeDAS station id is named")
    check("[source.r] timeout" in out, "a framework key (timeout) is checked as well")
    check("[source.k] interval" not in out, "the default interval (600 s) draws no warning")
    conf_ok = os.path.join(d, "ok.conf")
    write(conf_ok, "[source.k]\ntype = kriver\nenabled = false\nurl = https://k.river.go.jp/x/06.json\n"
                   "towns = 06203\ninterval = 60\n")
    rc, out = run_check(conf_ok)
    check(rc == 0 and "configuration OK" in out, "-n accepts good source keys")
    check("warning: [source.k] interval: 60 s is shorter than the 600 s" in out,
          "polling a national site faster than it updates is warned about")

    # ---- the daemon against the fixture server ----
    snap = load_snapshot(SNAPSHOTS[0])
    marker = "本文に含まれる目印ZQX"
    items = raw_items(snap, "06000")
    items[0]["name"] = marker  # the log must never show a body
    body = kriver_body(items)
    with FixtureServer() as srv:
        for p in ("/a/06.json", "/b/06.json", "/c/06.json", "/big/06.json", "/rt/06.json"):
            srv.put(p, body)
        srv.redirect("/r1", "/r2")
        srv.redirect("/r2", "/rt/06.json")
        srv.redirect("/loop1", "/loop2")
        srv.redirect("/loop2", "/loop3")
        srv.redirect("/loop3", "/loop4")
        srv.redirect("/loop4", "/never")
        srv.fault("/a/06.json", "hang")
        srv.put("/h/06.json", b"<html><body>\xe6\xba\x96\xe5\x82\x99\xe4\xb8\xad</body></html>",
                content_type="text/html")
        srv.hang_seconds = 60
        conf = os.path.join(d, "run.conf")
        write(conf, f"""[store]
path = store.db
[portal]
public_base_url = https://bousai.example.jp/
[source.a]
type = kriver
interval = 10
timeout = 2
backoff_max = 40
url = {srv.url('/a/06.json')}
[source.b]
type = kriver
interval = 10
url = {srv.url('/b/06.json')}
contact = mailto:bousai@example.jp
[source.c]
type = kriver
interval = 10
backoff_max = 40
url = {srv.url('/c/06.json')}
[source.big]
type = kriver
interval = 10
max_bytes = 1024
url = {srv.url('/big/06.json')}
[source.redir]
type = kriver
interval = 10
url = {srv.url('/r1')}
[source.loop]
type = kriver
interval = 10
url = {srv.url('/loop1')}
[source.h]
type = kriver
interval = 10
url = {srv.url('/h/06.json')}
[source.off]
type = kriver
enabled = false
url = {srv.url('/off.json')}
""")
        env = {"SONAE_COLLECTD_SECOND_MS": str(SECOND_MS)}
        dm = Daemon("sonae-collectd", ["-c", conf], env=env)
        ok = False
        try:
            # A hangs; B must keep its schedule meanwhile.
            check(srv.wait_requests("/a/06.json", 1, 10 * SCALE), "the hanging source was asked")
            check(srv.wait_requests("/b/06.json", 4, 10 * SCALE),
                  "another source keeps polling while one hangs")
            cb = srv.counts("/b/06.json")
            check(cb["full"] == 1 and cb["conditional"] >= 3 and cb["not_modified"] >= 3,
                  f"conditional GET: one full request, then 304s ({cb})")
            h = srv.last_headers("/b/06.json")
            check(h.get("User-Agent") == "Sonae/0.1.0 (+mailto:bousai@example.jp)",
                  f"User-Agent with the source's contact ({h.get('User-Agent')})")
            h = srv.last_headers("/c/06.json")
            check(h.get("User-Agent") == "Sonae/0.1.0 (+https://bousai.example.jp/)",
                  "User-Agent falls back to [portal] public_base_url")
            check(wait_for(lambda: "a: poll failed (GET" in dm.output() and "timed out" in dm.output(),
                           10), "the hang ends at the source's timeout and is logged")
            # New content is fetched in full on the next poll.
            items[1]["level"] = items[1]["level"] + 0.5
            srv.put("/b/06.json", kriver_body(items))
            before = srv.counts("/b/06.json")["served"]
            check(wait_for(lambda: srv.counts("/b/06.json")["served"] > before, 10),
                  "a changed body is fetched in full")
            check(srv.counts("/r2")["total"] >= 1 and srv.counts("/rt/06.json")["total"] >= 1,
                  "two redirects are followed")
            check(wait_for(lambda: "too many redirects" in dm.output(), 10),
                  "a fourth redirect is refused")
            check(srv.counts("/loop4")["total"] >= 1 and srv.counts("/never")["total"] == 0,
                  "the target of a fourth redirect is never asked")
            check(wait_for(lambda: "larger than max_bytes" in dm.output(), 10),
                  "a body over max_bytes is refused")
            check(srv.counts("/off.json")["total"] == 0, "a disabled source is not polled")

            # Backoff: C answers 500; its gaps double up to backoff_max (2 s here).
            srv.clear_fault("/a/06.json")
            srv.fault("/c/06.json", "500")
            srv.reset_counts()
            t0 = time.monotonic()
            time.sleep(6 * SCALE)
            c500 = srv.counts("/c/06.json")["total"]
            b_ok = srv.counts("/b/06.json")["total"]
            elapsed = time.monotonic() - t0
            # Without backoff C would be asked elapsed/0.5 times; with it
            # at most 1 + log2 steps then every 2 s.
            check(c500 <= 2 + elapsed / 2.0 + 1, f"backoff slows a failing source ({c500} in {elapsed:.1f} s)")
            check(b_ok >= elapsed / 0.5 * 0.6 / SCALE, f"the healthy source kept its interval ({b_ok})")
            out = dm.output()
            check(out.count("c: poll failed (GET") < c500 or c500 <= 2,
                  "repeated failures are damped in the log")
            check("HTTP 500" in out, "the status of a failure is logged")

            # Each hostile answer in turn: the daemon keeps going and recovers.
            for kind in ("reset", "truncate", "html"):
                srv.fault("/c/06.json", kind)
                n = srv.counts("/c/06.json")["faults"]
                check(srv.wait_requests("/c/06.json", srv.counts("/c/06.json")["total"] + 1, 10 * SCALE)
                      and srv.counts("/c/06.json")["faults"] > n, f"a '{kind}' answer was served")
                check(dm.proc.poll() is None, f"the daemon survives a '{kind}' answer")
            check(wait_for(lambda: "h: poll bad data (GET" in dm.output()
                           and "not a k.river area listing" in dm.output(), 5),
                  "an HTML page instead of JSON is refused, with its reason")
            srv.clear_fault("/c/06.json")
            check(wait_for(lambda: "c: polls succeed again" in dm.output(), 15),
                  "one 'recovered' line after the failures end")
            def health():
                con = sqlite3.connect(f"file:{os.path.join(d, 'store.db')}?mode=ro", uri=True, timeout=10)
                try:
                    return [json.loads(r[0]) for r in con.execute(
                        "SELECT data FROM events WHERE type = 'source.health' AND subject = 'sources/c' "
                        "AND public = 0 ORDER BY id")]
                finally:
                    con.close()
            check(wait_for(lambda: [h["state"] for h in health()][:2] == ["failing", "ok"], 10),
                  "source.health events (staff only): failing after 3 failed polls, then ok")
            check("HTTP 500" in health()[0]["reason"], "the failing event says why")
            out = dm.output()
            check(marker not in out, "no body text in the log")
            check(" bytes, sha256 " in out, "fetches are logged with bytes and hash")

            # SIGHUP: a config that does not validate keeps the old one; a
            # valid one restarts the sources on it.
            with open(conf, encoding="utf-8") as f:
                good = f.read()
            write(conf, good + "[source.new]\ntype = kriver\ninterval = 5\n")
            dm.signal(signal.SIGHUP)
            check(wait_for(lambda: "keeping the old one" in dm.output(), 10),
                  "SIGHUP with an invalid config keeps the old one")
            n_b = srv.counts("/b/06.json")["total"]
            check(srv.wait_requests("/b/06.json", n_b + 2, 10 * SCALE), "and the sources keep polling")
            srv.put("/new/06.json", body)
            write(conf, good + f"[source.new]\ntype = kriver\ninterval = 10\nurl = {srv.url('/new/06.json')}\n")
            dm.signal(signal.SIGHUP)
            check(srv.wait_requests("/new/06.json", 2, 10 * SCALE), "SIGHUP with a valid config adds a source")

            # SIGTERM during a hang ends the daemon promptly.
            srv.fault("/b/06.json", "hang")
            srv.put("/b/06.json", kriver_body(items[:3]))
            n = srv.counts("/b/06.json")["total"]
            srv.wait_requests("/b/06.json", n + 1, 10 * SCALE)
            t0 = time.monotonic()
            dm.signal(signal.SIGTERM)
            rc = dm.wait(10)
            check(rc == 0, f"SIGTERM during a hanging request stops cleanly (rc {rc})")
            check(time.monotonic() - t0 < 3 * SCALE, "and promptly")
            ok = True
        finally:
            if not ok:
                print(dm.output()[-4000:])
            dm.stop()

    # ---- no store yet: polls fail with the store's reason, the daemon
    # keeps running, and recovers when the store can be created ----
    with FixtureServer() as srv:
        srv.put("/k/06.json", body)
        conf = os.path.join(d, "nostore.conf")
        write(conf, f"[store]\npath = later/store.db\n[source.k]\ntype = kriver\ninterval = 10\n"
                    f"url = {srv.url('/k/06.json')}\n")
        dm = Daemon("sonae-collectd", ["-c", conf], env=env)
        try:
            check(wait_for(lambda: "k: poll failed (store:" in dm.output(), 10),
                  "without a usable store the poll fails with the store's reason")
            check(srv.counts("/k/06.json")["total"] == 0, "and the site is not asked for nothing")
            check(dm.proc.poll() is None, "the daemon keeps running")
            os.mkdir(os.path.join(d, "later"))
            check(wait_for(lambda: "k: polls succeed again" in dm.output(), 20),
                  "once the store can be created the source recovers")
            check(srv.counts("/k/06.json")["served"] >= 1, "and fetches")
        finally:
            dm.stop()
finally:
    rmtree(d)
done("collectd-framework")
