"""The watchdog's "a daemon stopped" check against a real sonae-collectd.

Every daemon keeps DATA/run/NAME.alive (common/heartbeat.h); the watchdog
reads those files, needs no store, and writes to the staff channel (here a
webhook receiver on 127.0.0.1).  Tried: the daemon not started yet, started
(recovery), killed with SIGKILL (the file stays, its pid is gone), reported
once and not every round, started again, stopped cleanly with SIGTERM (the
file goes), and all of it while the store is locked by another writer."""

import http.server
import json
import os
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
sys.path.insert(0, os.path.dirname(__file__))
from notifytest import Driver  # noqa: E402
from sonaetest import Daemon, check, done, rmtree, tmpdir, wait_for  # noqa: E402

d = tmpdir("sonae-watchdog-")
staff = []


class Staff(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        doc = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        staff.append({"path": self.path, "doc": doc})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Staff)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
conf = os.path.join(d, "sonae.conf")
with open(conf, "w") as f:
    f.write(f"""[store]
path = store.sqlite
[log]
level = info
[notify.duty]
type = webhook
staff = true
staff_to = http://127.0.0.1:{httpd.server_address[1]}/duty
watchdog_daemons = sonae-collectd
""")
alive = os.path.join(d, "data", "run", "sonae-collectd.alive")


def about(word):
    return [s for s in staff if word in s["doc"]["title"]]


drv = Driver(conf)
collectd = None
try:
    T = int(time.time())
    check(drv.cmd(f"watch {T}") == "sent 1", "collectd not running: reported")
    m = about("【監視】sonae-collectd 停止")
    check(len(m) == 1 and m[0]["path"] == "/duty" and "起動していない" in m[0]["doc"]["text"],
          "the staff channel got 「sonae-collectd 停止」 (not started)")
    collectd = Daemon("sonae-collectd", ["-c", conf])
    check(wait_for(lambda: os.path.exists(alive), 10), "collectd writes its heartbeat file")
    check(drv.cmd(f"watch {T + 60}") == "sent 1" and len(about("sonae-collectd 再開")) == 1,
          "collectd running: 「再開」 once")
    check(drv.cmd(f"watch {T + 120}") == "sent 0", "all well: nothing sent")

    # Killed: no clean stop, the file stays; its pid is gone.  The store is
    # locked meanwhile: the check does not need it.
    lock = sqlite3.connect(os.path.join(d, "store.sqlite"), timeout=5, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    collectd.proc.send_signal(signal.SIGKILL)
    collectd.proc.wait()
    check(os.path.exists(alive), "after SIGKILL the heartbeat file is still there")
    out = drv.cmd(f"watch {T + 180}")
    m = about("【監視】sonae-collectd 停止")
    check(len(m) == 2 and "異常終了" in m[1]["doc"]["text"],
          f"the killed daemon is reported: 「異常終了しました」 ({out})")
    check(len(about("データベースに書き込めません")) == 1, "and, separately, the locked store")
    check(drv.cmd(f"watch {T + 240}") == "sent 0", "reported once, not every round")
    lock.execute("ROLLBACK")
    lock.close()
    drv.cmd(f"watch {T + 300}")  # the store's recovery

    collectd.stop()
    collectd = Daemon("sonae-collectd", ["-c", conf])
    check(wait_for(lambda: os.path.exists(alive) and drv.cmd(f"watch {T + 360}") == "sent 1", 10),
          "started again: recovery sent")
    check(len(about("sonae-collectd 再開")) == 2, "the second 「再開」")
    collectd.signal(signal.SIGTERM)
    check(collectd.wait(10) == 0 and not os.path.exists(alive),
          "a clean stop removes the heartbeat file")
    check(drv.cmd(f"watch {T + 420}") == "sent 1" and len(about("sonae-collectd 停止")) == 3,
          "a clean stop is reported too (the daemon is not running)")
    log = collectd.output()
    check("heartbeat" not in log, "collectd wrote its heartbeat without complaint")
finally:
    if collectd:
        collectd.stop()
    rc = drv.close()
    httpd.shutdown()
check(rc == 0, "the driver exits cleanly")
rmtree(d)
done("watchdog")
