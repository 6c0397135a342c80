"""Two notifiers on one store: each message goes out once.

Two notifier engines (tests/notify/notify_drive.c, two processes) share one
store, a SpatiaLite file or with --postgis a PostgreSQL database on a
throwaway server (tests/integration/storeq.py), and one webhook channel
whose receiver (http.server, threaded, a little slow to answer) counts what
it gets.  Round after round many gauges rise a level at once and both
engines scan and deliver at the same moment: every message reaches the
receiver exactly once, and the two engines' sent counts add up to the
messages.  An item one engine took and did not try (its channel failed in
the round) is given back and goes out in the next round, once."""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
sys.path.insert(0, os.path.dirname(__file__))
from notifytest import Driver, Quiet, serve  # noqa: E402
from sonaetest import check, done, rmtree, tmpdir  # noqa: E402
from storeq import Store  # noqa: E402

GAUGES = 24
tmp = tmpdir("sonae-notify-claim-")
store = Store(tmp)
NAME = store.name("notify-claim")

# ---- The webhook receiver ----
got, lock = [], threading.Lock()
refuse = threading.Event()


class Hook(Quiet):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if refuse.is_set():
            return self.reply(503)
        time.sleep(0.01)  # a receiver takes a moment: the rounds overlap
        with lock:
            got.append(json.loads(body))
        self.reply(204)


httpd, base = serve(Hook)
url = base + "/hook"

conf = os.path.join(tmp, "sonae.conf")
with open(conf, "w") as f:
    f.write(f"[store]\npath = {store.db}\n\n{store.conf}\n[notify.hook]\ntype = webhook\n")

a, b = Driver(conf), Driver(conf)


def both_step(t):
    """Both engines scan and deliver at t at the same moment."""
    for d in (a, b):
        d.proc.stdin.write(f"step {t}\n")
        d.proc.stdin.flush()
    sent = []
    for d in (a, b):
        out = d.proc.stdout.readline().split()
        check(len(out) >= 2 and out[0] == "queued", f"step {t} answered ({out})")
        sent.append({out[i]: int(out[i + 1]) for i in range(0, len(out), 2)})
    return sent


def messages_of(level):
    with lock:
        return [m for m in got if m.get("level") == level and m.get("type") == "station.level"]


try:
    T = 1_800_000_000
    check(a.cmd(f"rule hook {url} 3 1 - []").startswith("id "), "the webhook rule is stored")
    ids = [a.cmd(f"station claim-{i} 赤川・第{i}観測所 600").split()[1] for i in range(GAUGES)]
    for d in (a, b):
        d.step(T)  # both engines have read the events so far
    for rnd, (value, level) in enumerate(((3.2, 3), (4.2, 4), (5.2, 5))):
        t = T + 600 * (rnd + 1)
        for i in ids:
            a.cmd(f"obs {i} {t} {value}")
        sent = both_step(t + 1)
        total = sum(s["sent"] for s in sent)
        msgs = messages_of(level)
        subjects = {m.get("subject") for m in msgs}
        check(len(msgs) == GAUGES and len(subjects) == GAUGES,
              f"レベル{level}: {GAUGES} gauges, each message received once "
              f"({len(msgs)} received, {len(subjects)} gauges)")
        check(total == GAUGES, f"レベル{level}: the two engines sent {GAUGES} between them ({sent})")

    # A failing channel: the engine that took the items tries one, gives
    # the rest back, and they go out once the receiver is back.
    t = T + 600 * 5
    late = [a.cmd(f"station late-{i} 大山川・第{i}観測所 600").split()[1] for i in range(GAUGES)]
    for i in late:
        a.cmd(f"obs {i} {t} 3.1")
    refuse.set()
    sent = both_step(t + 1)
    check(sum(s["sent"] for s in sent) == 0 and sum(s["failed"] for s in sent) >= 1,
          f"the refusing receiver got nothing ({sent})")
    refuse.clear()
    n = store.q("SELECT count(*) FROM notify_queue WHERE state IN ('pending', 'failed')")[0][0]
    check(n == GAUGES, f"the items not sent are still queued ({n})")
    # The given-back items are due again at once, the failed ones after
    # their backoff.
    sent = both_step(t + 2)
    check(sum(s["sent"] for s in sent) >= 1, f"the given-back items go out at once ({sent})")
    sent2 = both_step(t + 200)  # past the backoff (60 s), long before stale
    total = sum(s["sent"] for s in sent + sent2)
    late_subjects = {f"stations/{i}" for i in late}
    with lock:
        again = [m for m in got if m.get("subject") in late_subjects]
        events = {m.get("event_id") for m in got}
        n_got = len(got)
    check(len(again) == GAUGES and len({m["subject"] for m in again}) == GAUGES,
          f"each item of the failed round went out once ({len(again)})")
    check(total == GAUGES, f"the engines sent them once between them ({sent}, {sent2})")
    check(n_got == 4 * GAUGES and len(events) == 4 * GAUGES,
          f"the receiver got every event once ({n_got}, {len(events)} events)")
    n = store.q("SELECT count(*), sum(CASE WHEN state = 'sent' THEN 1 ELSE 0 END) "
                "FROM notify_queue")[0]
    check(tuple(n) == (4 * GAUGES, 4 * GAUGES), f"the queue holds every item once, sent ({n})")
finally:
    rc = [a.close(), b.close()]
    httpd.shutdown()
    store.close()
    rmtree(tmp)
check(rc == [0, 0], "both engines exit cleanly")
done(NAME)
