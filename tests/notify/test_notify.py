"""The notifier against real local peers: a webhook receiver (http.server)
that checks the HMAC signature, an SMTP server with STARTTLS (socketserver,
ssl, a test certificate made here with the openssl command) and a store on
disk.  tests/notify/notify_drive.c writes stations, observations and orders
through the store API and steps the engine with a test clock.

Checks: a level rise and a further rise, a flapping level (one message, one
recovery), a gauge going stale and flapping (one message, one recovery), an
order, a drill reaching only the channel marked for exercises with 「訓練」,
a failing channel not blocking the others, no duplicate after more steps,
and the store-free staff path of the watchdog."""

import base64
import email
import email.header
import hashlib
import hmac
import http.server
import json
import os
import socketserver
import sqlite3
import ssl
import subprocess
import sys
import signal
import threading
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
sys.path.insert(0, os.path.dirname(__file__))
from notifytest import Driver  # noqa: E402
from sonaetest import SCALE, SOURCE, Daemon, check, done, exe, free_port, rmtree, tmpdir, wait_for  # noqa: E402

tmp = tmpdir("sonae-notify-")
SECRET = "hook-secret-テスト"

# ---- A test certificate for 127.0.0.1 (self-signed, used as its own CA) ----
cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)

# ---- Webhook receiver ----
hooks, broken_hits = [], []


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path == "/broken":
            broken_hits.append(1)
            self.send_response(500)
            self.end_headers()
            return
        sig = self.headers.get("X-Sonae-Signature", "")
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        # What a receiver must refuse: the same signature over a changed
        # body, or one made with another secret.
        forged = [hmac.new(SECRET.encode(), body + b" ", hashlib.sha256).hexdigest(),
                  hmac.new(b"other", body, hashlib.sha256).hexdigest()]
        hooks.append({"sig_ok": hmac.compare_digest(sig, want), "doc": json.loads(body),
                      "path": self.path, "forged_ok": any(sig == "sha256=" + f for f in forged)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
hook_url = f"http://127.0.0.1:{httpd.server_address[1]}"

# ---- A local HTTPS endpoint in the Messaging API's shape (LINE itself is
# not reachable from here): records push and multicast requests. ----
TOKEN = "test-channel-access-token"
LINE_SECRET = "test-channel-secret"
line_reqs = []


class LineApi(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n))
        ok_auth = self.headers.get("Authorization") == f"Bearer {TOKEN}"
        line_reqs.append({"path": self.path, "auth": ok_auth, "body": body})
        self.send_response(200 if ok_auth else 401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *a):
        pass


line_httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LineApi)
line_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
line_ctx.load_cert_chain(cert, key)
line_httpd.socket = line_ctx.wrap_socket(line_httpd.socket, server_side=True)
threading.Thread(target=line_httpd.serve_forever, daemon=True).start()

# ---- SMTP server with STARTTLS ----
mails = []
tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls_ctx.load_cert_chain(cert, key)


class Smtp(socketserver.StreamRequestHandler):
    def handle(self):
        sock, tls = self.request, False
        rf, wf = sock.makefile("rb"), sock.makefile("wb")

        def say(s):
            wf.write(s.encode() + b"\r\n")
            wf.flush()

        say("220 127.0.0.1 ESMTP test")
        rcpt, sender = [], None
        while True:
            line = rf.readline(4096)
            if not line:
                return
            cmd = line.decode("ascii", "replace").strip()
            verb = cmd.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                if tls:
                    say("250-127.0.0.1\r\n250 8BITMIME")
                else:
                    say("250-127.0.0.1\r\n250-8BITMIME\r\n250 STARTTLS")
            elif verb == "STARTTLS":
                say("220 go ahead")
                sock = tls_ctx.wrap_socket(sock, server_side=True)
                rf, wf, tls = sock.makefile("rb"), sock.makefile("wb"), True
            elif verb == "MAIL":
                sender = cmd[10:].strip("<> ").split(">")[0]
                say("250 ok")
            elif verb == "RCPT":
                rcpt.append(cmd[8:].strip("<> ").split(">")[0])
                say("250 ok")
            elif verb == "DATA":
                say("354 end with .")
                data = b""
                while True:
                    ln = rf.readline(65536)
                    if not ln or ln == b".\r\n":
                        break
                    data += ln[1:] if ln.startswith(b"..") else ln
                mails.append({"tls": tls, "from": sender, "rcpt": list(rcpt),
                              "msg": email.message_from_bytes(data)})
                rcpt = []
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")


smtpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
smtpd.daemon_threads = True
threading.Thread(target=smtpd.serve_forever, daemon=True).start()


def subject_of(m):
    return str(email.header.make_header(email.header.decode_header(m["msg"]["Subject"])))


def body_of(m):
    return m["msg"].get_payload(decode=True).decode("utf-8")


# ---- Config and the driver ----
with open(os.path.join(tmp, "hook.secret"), "w") as f:
    f.write(SECRET + "\n")
with open(os.path.join(tmp, "line.token"), "w") as f:
    f.write(TOKEN + "\n")
with open(os.path.join(tmp, "line.secret"), "w") as f:
    f.write(LINE_SECRET + "\n")
conf = os.path.join(tmp, "sonae.conf")
with open(conf, "w") as f:
    f.write(f"""[store]
path = store.sqlite

[notify.hook]
type = webhook
secret_file = hook.secret
timeout = {int(10 * SCALE)}

[notify.mail]
type = smtp
url = smtp://127.0.0.1:{smtpd.server_address[1]}
from = sonae@city.example.jp
ca_file = cert.pem
exercise = true
staff = true
staff_to = duty@city.example.jp
watchdog_silence = 30

[notify.line]
type = line
token_file = line.token
channel_secret_file = line.secret
base_url = https://127.0.0.1:{line_httpd.server_address[1]}
ca_file = cert.pem

[notify.broken]
type = webhook
""")

drv = Driver(conf)
cmd, step = drv.cmd, drv.step


def hooks_about(word):
    return [h for h in hooks if word in h["doc"]["title"]]


def mails_about(word):
    return [m for m in mails if word in subject_of(m)]


try:
    T = 1_800_000_000
    r_hook = cmd(f"rule hook {hook_url}/hook 3 1 - []")
    r_mail = cmd("rule mail staff@city.example.jp 3 1 - []")
    cmd(f"rule broken {hook_url}/broken 1 1 - []")
    # Residents on LINE: one follower (push) and a group of three (multicast),
    # orders only.
    cmd('rule line Uaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 3 0 - ["order.issued"]')
    cmd('rule line Ub0000000000000000000000000000001,Ub0000000000000000000000000000002,'
        'Ub0000000000000000000000000000003 3 0 - ["order.issued"]')
    check(r_hook.startswith("id ") and r_mail.startswith("id "), "rules are stored")
    a = cmd("station akagawa-1 赤川・熊出 600").split()[1]

    # A level rise: 0.5 m (none) then 3.2 m (警戒レベル３).
    cmd(f"obs {a} {T} 0.5")
    step(T + 1)
    cmd(f"obs {a} {T + 600} 3.2")
    s = step(T + 601)
    check(s["sent"] == 2, f"level rise sent to the webhook and by mail ({s})")
    check(s["failed"] >= 1, "the broken channel failed in the same round")
    h = hooks_about("警戒レベル３")
    check(len(h) == 1 and "赤川・熊出" in h[0]["doc"]["title"],
          "webhook got 警戒レベル３ with the station's name")
    check(h[0]["sig_ok"], "webhook signature is HMAC-SHA256 of the body with the secret")
    check(not any(x["forged_ok"] for x in hooks),
          "a changed body or another secret does not verify (a receiver refuses forgeries)")
    check(h[0]["doc"]["level"] == 3 and h[0]["doc"]["type"] == "station.level",
          "webhook body carries type and level")
    check("高齢者等避難" in h[0]["doc"]["text"], "the guideline's action word is in the text")
    m = mails_about("警戒レベル３")
    check(len(m) == 1 and m[0]["tls"], "the e-mail arrived over STARTTLS")
    check(m[0]["rcpt"] == ["staff@city.example.jp"] and m[0]["from"] == "sonae@city.example.jp",
          "envelope sender and recipient")
    check("赤川・熊出" in body_of(m[0]) and "+09:00" in body_of(m[0]), "mail body: name and JST time")

    # A further rise is news; a flapping level then gives one recovery.
    cmd(f"obs {a} {T + 1200} 4.2")
    step(T + 1201)
    check(len(hooks_about("警戒レベル４")) == 1, "a further rise to 警戒レベル４ is sent")
    cmd(f"obs {a} {T + 1260} 1.5")
    step(T + 1261)
    cmd(f"obs {a} {T + 1320} 3.4")
    step(T + 1321)
    cmd(f"obs {a} {T + 1380} 1.4")
    step(T + 1381)
    check(len(hooks_about("水位低下")) == 0, "no recovery while the hold-down runs")
    check(len(hooks_about("警戒レベル３")) == 1, "flapping back to レベル３ sends nothing new")
    step(T + 1381 + 600)
    check(len(hooks_about("水位低下")) == 1, "one recovery once the level held low")
    step(T + 1381 + 1200)
    check(len(hooks_about("水位低下")) == 1, "and only one")

    # A gauge going stale and flapping (expected every 60 s, stale after 180 s).
    b = cmd("station kumaide-2 大山川・大山 60").split()[1]
    T2 = T + 3000
    cmd(f"obs {a} {T2} 1.0")  # keeps the first gauge alive
    cmd(f"obs {b} {T2} 0.3")
    step(T2 + 1)
    cmd(f"refresh {T2 + 200}")
    step(T2 + 200)
    check(len(hooks_about("観測停止 大山川・大山")) == 1, "a stale gauge is reported at once")
    for k in range(3):  # back, silent again, back ...
        t = T2 + 210 + k * 200
        cmd(f"obs {b} {t} 0.3")
        step(t + 1)
        cmd(f"refresh {t + 190}")
        step(t + 190)
    cmd(f"obs {b} {T2 + 900} 0.3")
    step(T2 + 901)
    check(len(hooks_about("観測停止 大山川・大山")) == 1, "flapping: still one message")
    check(len(hooks_about("観測復旧 大山川・大山")) == 0, "no recovery during the flapping")
    for t in range(T2 + 960, T2 + 1600, 60):  # the gauge reports steadily
        cmd(f"obs {b} {t} 0.3")
        step(t + 1)
    check(len(hooks_about("観測復旧 大山川・大山")) == 1, "one recovery after it held")
    check(len(mails_about("観測復旧 大山川・大山")) == 1, "the mail channel got the same recovery")

    # An order, then a drill order: only the exercise channel, marked 訓練.
    cmd("order 4 0620300 0")
    s = step(T2 + 1700)
    check(len(hooks_about("避難指示")) == 1, "an order issued reaches the webhook")
    check(len(mails_about("避難指示")) == 1, "and the mail")
    pushes = [r for r in line_reqs if r["path"] == "/v2/bot/message/push"]
    multis = [r for r in line_reqs if r["path"] == "/v2/bot/message/multicast"]
    check(len(pushes) == 1 and len(multis) == 1 and len(line_reqs) == 2,
          "LINE: one push and one multicast for the order, nothing for gauges")
    check(all(r["auth"] for r in line_reqs), "LINE: Bearer channel access token")
    check(pushes[0]["body"]["to"] == "Uaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "LINE push: to is one id")
    check(len(multis[0]["body"]["to"]) == 3, "LINE multicast: to is the array of three ids")
    msg = pushes[0]["body"]["messages"]
    check(len(msg) == 1 and msg[0]["type"] == "text" and "避難指示" in msg[0]["text"]
          and "警戒レベル４" in msg[0]["text"], "LINE: one text message with 避難指示 and 警戒レベル４")
    n_hooks = len(hooks)
    cmd("order 5 0620300 1")
    step(T2 + 1760)
    drills = [m for m in mails if "訓練" in subject_of(m)]
    check(len(drills) == 1 and "訓練" in body_of(drills[0]), "the drill order: 「訓練」 in subject and body")
    check(len(hooks) == n_hooks, "the webhook (not marked for exercises) got nothing of the drill")
    check(len(line_reqs) == 2, "nor did LINE (residents never get drills unless marked)")

    # Deduplication: more steps send nothing again.
    before = (len(hooks), len(mails))
    step(T2 + 1800)
    step(T2 + 1900)
    check((len(hooks), len(mails)) == before, "nothing is sent twice")
    check(len(broken_hits) >= 2, "the broken channel was retried with backoff, not dropped")

    # A rule for one area gets that area's orders only.
    cmd(f'rule hook {hook_url}/area 3 1 0620300 ["order.issued"]')
    cmd("order 3 0620400 0")
    step(T2 + 1950)
    cmd("order 3 0620300 0")
    step(T2 + 1960)
    area = [h for h in hooks if h["path"] == "/area"]
    check(len(area) == 1 and area[0]["doc"]["title"].endswith("0620300"),
          "an area rule: the order of its area, not of the other")

    # A notice is sent; its withdrawal (notice.published, withdrawn) is not.
    cmd(f'rule hook {hook_url}/notices 1 1 - ["notice.published"]')
    nid = cmd("notice 給水所開設").split()[1]
    step(T2 + 1970)
    cmd(f"withdraw {nid}")
    step(T2 + 1980)
    got = [h for h in hooks if h["path"] == "/notices"]
    check(len(got) == 1, f"a notice reaches its rule once, its withdrawal is not sent ({len(got)})")

    # A data source failing (source.health, as collectd writes it), flapping,
    # then recovering: one message, one recovery.
    cmd("health jma failing")
    step(T2 + 2000)
    check(len(hooks_about("取得異常 jma")) == 1, "a failing source is reported at once")
    for k in range(3):
        cmd("health jma ok")
        step(T2 + 2010 + k * 60)
        cmd("health jma failing")
        step(T2 + 2040 + k * 60)
    cmd("health jma ok")
    step(T2 + 2300)
    check(len(hooks_about("取得異常 jma")) == 1 and not hooks_about("取得復旧 jma"),
          "flapping source: still one message, no recovery yet")
    step(T2 + 2300 + 601)
    check(len(hooks_about("取得復旧 jma")) == 1, "one recovery once it held")

    # The watchdog's store-free path to the staff channel.
    out = cmd("watchdog 監視警告 データ更新が止まっています")
    check(out == "reached 1", "staff_direct reaches the staff channel")
    check(len(mails_about("監視警告")) == 1, "the watchdog mail arrived at staff_to")
    check(mails_about("監視警告")[0]["rcpt"] == ["duty@city.example.jp"], "to the staff address")

    # The watchdog: the store deliberately unwritable (another writer holds
    # its lock), then free again; then no station reporting for 30 minutes.
    t = T2 + 1900
    check(cmd(f"watch {t}") == "sent 0", "watchdog: all well, nothing sent")
    lock = sqlite3.connect(os.path.join(tmp, "store.sqlite"), timeout=5, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    check(cmd(f"watch {t + 60}") == "sent 1", "watchdog: the locked store is reported")
    check(len(mails_about("データベースに書き込めません")) == 1, "staff mail: 書き込めません")
    check(cmd(f"watch {t + 120}") == "sent 0", "watchdog: reported once, not every round")
    lock.execute("ROLLBACK")
    lock.close()
    check(cmd(f"watch {t + 180}") == "sent 1", "watchdog: the store writable again is reported")
    check(len(mails_about("データベース復旧")) == 1, "staff mail: 復旧")
    # A drill's station reporting meanwhile (its own replay) must not hide
    # the real stations' silence.
    drill = cmd("station drill-1 訓練の水位計 60 exercise").split()[1]
    check(cmd(f"obs {drill} {T2 + 1540 + 31 * 60 - 30} 0.5") == "ok", "a drill's station reports")
    check(cmd(f"watch {T2 + 1540 + 31 * 60}") == "sent 1", "watchdog: 31 minutes of silence reported")
    check(len(mails_about("データ更新停止")) == 1, "staff mail: データ更新停止")

    # sonae-portald runs the same engine in its notifier thread: an order
    # written while it runs reaches the webhook within a round or two.
    with open(conf, "a") as f:
        portal_port = free_port()
        f.write(f"\n[portal]\nlisten = 127.0.0.1:{portal_port}\nweb_root = none\n")
    portald = Daemon("sonae-portald", ["-c", conf])
    try:
        n_orders = len(hooks_about("緊急安全確保"))
        # The thread starts after the newest event: write the order once it runs.
        check(wait_for(lambda: "notifier running" in portald.output(), 25),
              "portald's notifier thread is running")
        cmd("order 5 0620300 0")
        check(wait_for(lambda: len(hooks_about("緊急安全確保")) > n_orders, 25),
              "portald's notifier thread delivered a new order to the webhook")
        # The LINE webhook endpoint in portald: signature checked with the
        # channel secret, forged refused; follow and location answered by reply.
        def line_post(events, secret=LINE_SECRET):
            body = json.dumps({"destination": "Uxxx", "events": events}).encode()
            sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
            req = urllib.request.Request(f"http://127.0.0.1:{portal_port}/api/v1/line/webhook",
                                         data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-Line-Signature": sig})
            try:
                with urllib.request.urlopen(req, timeout=10 * SCALE) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code

        user = {"type": "user", "userId": "U" + "c" * 32}
        n_before = len(line_reqs)
        check(line_post([{"type": "follow", "replyToken": "rt-forged", "source": user}],
                        secret="not-the-secret") == 401, "LINE webhook: a forged signature gets 401")
        check(len(line_reqs) == n_before, "and nothing was answered")
        check(line_post([{"type": "follow", "replyToken": "rt-follow", "source": user}]) == 200,
              "LINE webhook: a signed follow event is accepted")
        replies = [r for r in line_reqs if r["path"] == "/v2/bot/message/reply"]
        check(len(replies) == 1 and replies[0]["body"]["replyToken"] == "rt-follow"
              and "地区" in replies[0]["body"]["messages"][0]["text"],
              "the follow is answered by reply, asking for the district")
        check(line_post([{"type": "message", "replyToken": "rt-loc", "source": user,
                          "message": {"type": "location", "id": "1", "latitude": 38.7275,
                                      "longitude": 139.8267}}]) == 200, "a location message")
        loc = [r for r in line_reqs if r["body"].get("replyToken") == "rt-loc"]
        check(len(loc) == 1 and ("ハザード" in loc[0]["body"]["messages"][0]["text"]
                                 or "対象地域" in loc[0]["body"]["messages"][0]["text"]),
              "the location is answered with the hazard answer of the place")

        def rules_of(uid):
            with sqlite3.connect(os.path.join(tmp, "store.sqlite"), timeout=5) as db:
                return db.execute("SELECT count(*) FROM notify_rules WHERE target = ?",
                                  (uid,)).fetchone()[0]

        r = subprocess.run([exe("sonae"), "-c", conf, "import", "districts",
                            os.path.join(SOURCE, "tests", "fixtures", "geo", "districts_6668.geojson")],
                           capture_output=True, text=True, timeout=60 * SCALE)
        with sqlite3.connect(os.path.join(tmp, "store.sqlite"), timeout=5) as db:
            dist = [x[0] for x in db.execute("SELECT id FROM districts ORDER BY id")]
        check(r.returncode == 0 and len(dist) == 2, "two 学区 imported for the LINE subscription")

        def district_of(uid):
            with sqlite3.connect(os.path.join(tmp, "store.sqlite"), timeout=5) as db:
                return [x[0] for x in db.execute(
                    "SELECT district_id FROM notify_rules WHERE target = ?", (uid,))]

        for k, dd in enumerate(dist):
            check(line_post([{"type": "message", "replyToken": f"rt-ok{k}", "source": user,
                              "message": {"type": "text", "id": f"9{k}",
                                          "text": f"地区 {dd}"}}]) == 200
                  and district_of(user["userId"]) == [dd],
                  f"「地区 {dd}」 subscribes the user id to that district (one rule, the newest)")
        ok = [r for r in line_reqs if r["body"].get("replyToken") == "rt-ok0"]
        check(len(ok) == 1 and "登録しました" in ok[0]["body"]["messages"][0]["text"],
              "and the resident is told 「登録しました」")
        check(line_post([{"type": "message", "replyToken": "rt-u0", "source": user,
                          "message": {"type": "text", "id": "8", "text": "解除"}}]) == 200
              and district_of(user["userId"]) == [], "「解除」 after a district subscription")
        check(line_post([{"type": "message", "replyToken": "rt-d", "source": user,
                          "message": {"type": "text", "id": "2", "text": "地区 999"}}]) == 200
              and rules_of(user["userId"]) == 0, "a district that does not exist subscribes nobody")
        dr = [r for r in line_reqs if r["body"].get("replyToken") == "rt-d"]
        check(len(dr) == 1 and "見つかりません" in dr[0]["body"]["messages"][0]["text"],
              "and the resident is told so")
        cmd(f"rule line {user['userId']} 3 0 - []")
        check(rules_of(user["userId"]) == 1, "a resident's subscription exists")
        check(line_post([{"type": "message", "replyToken": "rt-u", "source": user,
                          "message": {"type": "text", "id": "3", "text": "解除"}}]) == 200
              and rules_of(user["userId"]) == 0, "「解除」 removes it in one action")
        portald.signal(signal.SIGTERM)
        check(portald.wait(10) == 0, "portald stops cleanly with the notifier thread")
    finally:
        portald.stop()

    # Operators: `sonae notify list | add | delete | test`.
    def sonae(*args):
        r = subprocess.run([exe("sonae"), "-c", conf, "notify", *args], capture_output=True,
                           text=True, timeout=60 * SCALE)
        return r.returncode, r.stdout + r.stderr

    rc, out = sonae("list")
    check(rc == 0 and all(f"{n} " in out for n in ("hook", "mail", "line", "broken"))
          and "staff@city.example.jp" in out, "notify list: the channels and the staff rules")
    check("Uaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" not in out and "Ub0000" not in out
          and "line             whole city: 2" in out,
          "residents' LINE ids are not printed, only counted")
    rc, out = sonae("add", "hook", f"{hook_url}/cli", "--min-level", "4", "--types",
                    '["order.issued"]')
    check(rc == 0 and out.startswith("rule "), f"notify add: a staff rule ({out.strip()})")
    new_id = out.split()[1]
    check(f"{hook_url}/cli" in sonae("list")[1], "listed")
    check(sonae("add", "nosuch", "x")[0] != 0, "notify add refuses a channel not in the config")
    check(sonae("add", "hook", "x", "--min-level", "7")[0] != 0, "and a level out of 1..5")
    rc, out = sonae("delete", new_id)
    check(rc == 0 and f"{hook_url}/cli" not in sonae("list")[1], "notify delete removes it")
    check(sonae("delete", new_id)[0] != 0, "deleting it again fails")
    n = len(hooks)
    rc, out = sonae("test", "hook", f"{hook_url}/hook")
    check(rc == 0 and len(hooks) == n + 1 and "【試験】" in hooks[-1]["doc"]["title"]
          and hooks[-1]["sig_ok"], "notify test: a signed 「【試験】」 message reached the webhook")
    rc, out = sonae("test", "mail")
    check(rc == 0 and mails_about("【試験】")[-1]["rcpt"] == ["duty@city.example.jp"],
          "notify test without a target goes to the channel's staff_to")
    rc, out = sonae("test", "broken", f"{hook_url}/broken")
    check(rc != 0 and "HTTP 500" in out, f"a failing peer is reported: {out.strip()}")
    check(sonae("test", "hook")[0] != 0, "no target and no staff_to: refused")

    log = drv.log()
    check("notify:" in log and not any(x in log for x in (
        "Uaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "Ub0000", "staff@city.example.jp",
        "duty@city.example.jp", hook_url)), "the engine's log names no target (ids, addresses, URLs)")

    # A channel's own keys are checked by `sonae-portald -n`.
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("[store]\npath = store.sqlite\n[notify.m]\ntype = smtp\nfrom = a@b.jp\n"
                "url = http://127.0.0.1:1\n[notify.l]\ntype = line\ntoken_file = missing\n")
    r = subprocess.run([exe("sonae-portald"), "-n", "-c", bad], capture_output=True, text=True,
                       timeout=30 * SCALE)
    out = r.stdout + r.stderr
    check(r.returncode != 0 and "smtp://" in out and "token_file" in out,
          "portald -n refuses a bad smtp url and an unreadable LINE token, naming both")
finally:
    drv_rc = drv.close()
    httpd.shutdown()
    line_httpd.shutdown()
    smtpd.shutdown()
    rmtree(tmp)
check(drv_rc == 0, "the driver exits cleanly")
done("notify")
