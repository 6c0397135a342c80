"""Web Push against a real sonae-portald, a SpatiaLite file and a local push
service on 127.0.0.1 (HTTPS, a certificate made here with openssl).

The receiver is a separate implementation (python3-cryptography): it checks
the VAPID header (RFC 8292: the ES256 signature of the JWT with the key the
portal serves, aud, exp, sub) and decrypts the aes128gcm payload (RFC 8291,
RFC 8188) with each subscription's own private key and auth secret, then
reads the Japanese text.

Tried: the served public key; subscribing through the public endpoint (a
district and a level), subscribing again (replaces), unsubscribing in one
action; refused without losing a good subscription: malformed JSON, no
keys, a p256dh that is not a point of P-256, wrong key lengths, an http
endpoint, a host that is not a push service, an oversized body, a bad
level, an unknown district; delivery of an order (decrypted, 避難指示,
警戒レベル４); a push service answering 410 or 404 (the subscription is removed),
500 (retried with backoff), hanging (one timeout, then the other
subscriptions on that push service wait without being tried, and those on
other push services are still delivered in the same round); a drill only to the channel marked for
exercises, with 「訓練」; an order of another district not sent; nothing
sent twice; 230 more subscribers (a full batch, then the rest at once); no endpoint or key in the portal's or the engine's log;
`-n` naming a bad VAPID key and subject."""

import base64
import http.server
import json
import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import threading
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from portaltest import Portal, write_conf  # noqa: E402
sys.path.insert(0, os.path.dirname(__file__))
from notifytest import Driver  # noqa: E402
from sonaetest import SCALE, SOURCE, check, done, exe, rmtree, tmpdir, wait_for  # noqa: E402

DISTRICTS = os.path.join(SOURCE, "tests", "fixtures", "geo", "districts_6668.geojson")
CONTACT = "mailto:bousai@city.example.jp"
HANG_S = 2

d = tmpdir("sonae-webpush-")
cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
vapid_pem = os.path.join(d, "vapid.pem")
subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", vapid_pem],
               check=True, capture_output=True)
with open(vapid_pem, "rb") as f:
    vapid_pub = serialization.load_pem_private_key(f.read(), None).public_key()
VAPID_RAW = vapid_pub.public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.UncompressedPoint)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---- The local push service ----
got, release = [], threading.Event()


class PushService(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        name = self.path.rsplit("/", 1)[-1]
        got.append({"name": name, "path": self.path, "headers": dict(self.headers), "body": body})
        if name == "hang":
            release.wait(HANG_S * 3)
        code = {"gone": 410, "missing": 404, "fail": 500}.get(name, 201)
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


push = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PushService)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
push.socket = ctx.wrap_socket(push.socket, server_side=True)
threading.Thread(target=push.serve_forever, daemon=True).start()
ORIGIN = f"https://127.0.0.1:{push.server_address[1]}"
# A second push service (another vendor) for the hanging one: the same
# server under another name.
OTHER = f"https://localhost:{push.server_address[1]}"


class Browser:
    """One browser's subscription: its own P-256 key and auth secret."""

    def __init__(self, name, origin=ORIGIN):
        self.origin = origin
        self.priv = ec.generate_private_key(ec.SECP256R1())
        self.pub = self.priv.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        self.auth = os.urandom(16)
        self.endpoint = f"{origin}/wpush/v2/{b64u(os.urandom(24))}/{name}"

    def sub(self):
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64u(self.pub), "auth": b64u(self.auth)}}


def vapid_ok(h, origin=ORIGIN):
    """The RFC 8292 header, checked with the key the portal serves."""
    a = h.get("Authorization", "")
    if not a.startswith("vapid "):
        return "no vapid scheme"
    parts = dict(p.strip().split("=", 1) for p in a[6:].split(","))
    if b64d(parts["k"]) != VAPID_RAW:
        return "k is not the city's public key"
    h64, c64, s64 = parts["t"].split(".")
    if json.loads(b64d(h64)) != {"typ": "JWT", "alg": "ES256"}:
        return "header"
    claims = json.loads(b64d(c64))
    if claims.get("aud") != origin or claims.get("sub") != CONTACT:
        return f"claims {claims}"
    if not 0 < claims["exp"] - time.time() <= 24 * 3600:
        return "exp"
    sig = b64d(s64)
    try:
        vapid_pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                              int.from_bytes(sig[32:], "big")),
                         f"{h64}.{c64}".encode(), ec.ECDSA(hashes.SHA256()))
    except Exception as e:  # noqa: BLE001
        return f"signature: {e!r}"
    return None


def decrypt(b, req):
    """RFC 8291 with the subscription's private key and auth secret."""
    body = req["body"]
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    keyid, ct = body[21:21 + idlen], body[21 + idlen:]
    if rs < 18 or len(ct) > rs or idlen != 65:
        raise ValueError("header")
    shared = b.priv.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), keyid))
    ikm = HKDF(hashes.SHA256(), 32, b.auth, b"WebPush: info\0" + b.pub + keyid).derive(shared)
    cek = HKDF(hashes.SHA256(), 16, salt, b"Content-Encoding: aes128gcm\0").derive(ikm)
    nonce = HKDF(hashes.SHA256(), 12, salt, b"Content-Encoding: nonce\0").derive(ikm)
    pt = AESGCM(cek).decrypt(nonce, ct, None).rstrip(b"\0")
    if not pt.endswith(b"\x02"):
        raise ValueError("not the last record")
    return json.loads(pt[:-1].decode("utf-8"))


def to(b):
    return [g for g in got if g["path"] == b.endpoint[len(b.origin):]]


# ---- Store with two 学区, then the portal ----
conf = write_conf(d, 0)
r = subprocess.run([exe("sonae"), "-c", conf, "import", "districts", DISTRICTS], capture_output=True,
                   text=True, timeout=60 * SCALE)
check(r.returncode == 0, f"two 学区 imported: {r.stderr.strip()}")
db = os.path.join(d, "sonae.db")
dist = [x[0] for x in sqlite3.connect(db).execute("SELECT id FROM districts ORDER BY id")]
EXTRA = f"""
[notify.push]
type = webpush
vapid_key_file = vapid.pem
subject = {CONTACT}
endpoint_hosts = 127.0.0.1 localhost
ca_file = cert.pem
timeout = {HANG_S}

[notify.push-drill]
type = webpush
vapid_key_file = vapid.pem
subject = {CONTACT}
endpoint_hosts = 127.0.0.1
ca_file = cert.pem
exercise = true
"""


def subs(endpoint=None):
    with sqlite3.connect(db, timeout=5) as c:
        rows = c.execute("SELECT channel, target, district_id, min_level FROM notify_rules").fetchall()
    return [x for x in rows if endpoint is None or json.loads(x[1]).get("endpoint") == endpoint]


A, B, B4, C, E, F = (Browser(n) for n in ("good", "gone", "missing", "fail", "later", "drill"))
D, D2 = Browser("hang", OTHER), Browser("hang", OTHER)
p = Portal(d, extra=EXTRA)
try:
    def post(path, body):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        s, _, data = p.get(path, method="POST", body=raw, headers={"Content-Type": "application/json"})
        try:
            return s, json.loads(data or b"{}")
        except ValueError:
            return s, {}

    s, h, data = p.get("/api/v1/webpush/key")
    check(s == 200 and json.loads(data)["public_key"] == b64u(VAPID_RAW),
          "GET /api/v1/webpush/key serves the VAPID public key (base64url, uncompressed point)")
    s, a = post("/api/v1/webpush/subscribe", {"subscription": A.sub(), "district_id": dist[0],
                                              "min_level": 4})
    check(s == 201 and a["subscribed"] and not a["replaced"], f"A subscribes ({s} {a})")
    for b in (B, B4, C, D, D2):
        check(post("/api/v1/webpush/subscribe", {"subscription": b.sub()})[0] == 201,
              f"{b.endpoint.rsplit('/', 1)[-1]} subscribes (whole city, default level)")
    s, a = post("/api/v1/webpush/subscribe", {"subscription": A.sub(), "district_id": dist[0],
                                              "min_level": 3})
    check(s == 201 and a["replaced"] and len(subs(A.endpoint)) == 1 and subs(A.endpoint)[0][3] == 3,
          "subscribing again replaces the rule (one rule per endpoint, the new level)")
    row = subs(A.endpoint)[0]
    check(row[0] == "push" and row[2] == dist[0] and set(json.loads(row[1])) ==
          {"endpoint", "p256dh", "auth"}, "stored: the endpoint, the two keys, district and level only")

    bad_point = b64u(b"\x04" + bytes(range(1, 65)))
    tries = [
        (b'{"subscription": {"endpoint": ', 400, "malformed JSON"),
        ({"subscription": {"endpoint": E.endpoint}}, 400, "no keys"),
        ({"subscription": {"endpoint": E.endpoint, "keys": {"p256dh": bad_point,
                                                            "auth": b64u(E.auth)}}}, 400,
         "a p256dh that is not a point of P-256"),
        ({"subscription": {"endpoint": E.endpoint, "keys": {"p256dh": b64u(E.pub[:33]),
                                                            "auth": b64u(E.auth)}}}, 400,
         "a short p256dh"),
        ({"subscription": {"endpoint": E.endpoint, "keys": {"p256dh": b64u(E.pub),
                                                            "auth": b64u(E.auth[:15])}}}, 400,
         "an auth secret of 15 bytes"),
        ({"subscription": dict(E.sub(), endpoint=E.endpoint.replace("https:", "http:"))}, 400,
         "an http endpoint"),
        ({"subscription": dict(E.sub(), endpoint="https://push.evil.example/x")}, 400,
         "a host that is not a push service of the list"),
        ({"subscription": E.sub(), "pad": "x" * 5000}, 413, "a body over 4096 bytes"),
        ({"subscription": E.sub(), "min_level": 9}, 400, "min_level 9"),
        ({"subscription": E.sub(), "district_id": 999999}, 400, "an unknown district"),
    ]
    for body, want, what in tries:
        s, a = post("/api/v1/webpush/subscribe", body)
        check(s == want, f"refused: {what} -> {s} {a}")
    check(len(subs()) == 6 and not subs(E.endpoint), "the refusals lost nothing and added nothing")

    check(post("/api/v1/webpush/subscribe", {"subscription": E.sub()})[0] == 201, "E subscribes")
    s, a = post("/api/v1/webpush/unsubscribe", {"endpoint": E.endpoint})
    check(s == 200 and a["removed"] == 1 and not subs(E.endpoint), "unsubscribe: one action")
    s, a = post("/api/v1/webpush/unsubscribe", {"endpoint": E.endpoint})
    check(s == 200 and a["removed"] == 0, "unsubscribing again removes nothing, and says so")
    check(post("/api/v1/webpush/unsubscribe", {"nothing": 1})[0] == 400,
          "unsubscribe without an endpoint is refused")
    # A reload that turns the channel off turns the endpoints off.
    with open(p.conf, encoding="utf-8") as f:
        live = f.read()
    with open(p.conf, "w", encoding="utf-8") as f:
        f.write(live.replace("[notify.push]\ntype = webpush\n",
                             "[notify.push]\ntype = webpush\nenabled = false\n")
                .replace("[notify.push-drill]\ntype = webpush\n",
                         "[notify.push-drill]\ntype = webpush\nenabled = false\n"))
    p.daemon.signal(signal.SIGHUP)
    check(wait_for(lambda: p.get("/api/v1/webpush/key")[0] == 404, 10),
          "after SIGHUP with the channels disabled the key answers 404")
    check(post("/api/v1/webpush/subscribe", {"subscription": E.sub()})[0] == 404
          and len(subs()) == 6, "and subscribing is off (nothing stored)")
    with open(p.conf, "w", encoding="utf-8") as f:
        f.write(live)
    log = p.log()
    check(all(x not in log for b in (A, B, B4, C, D, D2, E) for x in
              (b.endpoint.split("/")[-2], b64u(b.pub), b64u(b.auth))), "no endpoint or key in the log")
finally:
    p.stop()

# ---- Delivery, with the engine on a test clock ----
drv = Driver(os.path.join(d, "sonae.conf"))
cmd, step = drv.cmd, drv.step


def canon(b):
    return json.dumps({"endpoint": b.endpoint, "p256dh": b64u(b.pub), "auth": b64u(b.auth)},
                      separators=(",", ":"), ensure_ascii=False)


try:
    T = int(time.time())
    cmd(f'rule push-drill {canon(F)} 3 0 - ["order.issued"]')
    cmd("order 4 0620300 0")
    t0 = time.monotonic()
    s = step(T + 1)
    took = time.monotonic() - t0
    check(s["sent"] == 2 and s["failed"] == 3, f"an order: 2 delivered, 3 failed, 2 gone ({s})")
    check(len(to(D)) + len(to(D2)) == 1, "two subscriptions on the hanging push service: one "
          f"timeout, the second not even tried (the round took {took:.1f} s)")
    for b, name in ((A, "A"), (F, "F (exercise channel, real order too)")):
        rq = to(b)
        check(len(rq) == 1, f"{name}: one push")
        why = vapid_ok(rq[0]["headers"])
        check(why is None, f"{name}: VAPID JWT verified with the served key ({why})")
        hd = rq[0]["headers"]
        check(hd.get("Content-Encoding") == "aes128gcm" and int(hd.get("TTL", "-1")) > 0
              and hd.get("Urgency") == "high", f"{name}: aes128gcm, TTL, Urgency high")
        msg = decrypt(b, rq[0])
        check("避難指示" in msg["title"] and "警戒レベル４" in msg["body"] and not msg["exercise"]
              and "訓練" not in msg["title"] + msg["body"],
              f"{name}: decrypted with its own keys: 「{msg['title']}」 警戒レベル４, not 訓練")
        check(msg["type"] == "order.issued" and msg["level"] == 4, f"{name}: type and level")
    try:
        decrypt(A, to(F)[0])
        check(False, "one browser's keys must not open another's message")
    except Exception:  # noqa: BLE001
        check(True, "one browser's keys do not open another's message")
    check(len(to(B)) == 1 and not subs(B.endpoint), "410 from the push service removes the subscription")
    check(len(to(B4)) == 1 and not subs(B4.endpoint), "and so does 404")
    with sqlite3.connect(db, timeout=5) as c:
        q = dict(c.execute("SELECT r.target, q.state FROM notify_queue q JOIN notify_rules r "
                           "ON r.id = q.rule_id").fetchall())
    check(q.get(canon(C)) == "failed" and q.get(canon(D)) == "failed"
          and q.get(canon(D2)) == "failed", "500 and the hanging service are kept as failed, to be retried")
    step(T + 30)
    check(len(to(C)) == 1, "no retry before the backoff")
    release.set()
    step(T + 62)
    check(len(to(C)) == 2 and len(subs(C.endpoint)) == 1,
          "retried after the backoff; a 500 does not remove the subscription")
    check(len(to(D)) + len(to(D2)) >= 2 and len(to(D2)) >= 1 and vapid_ok(to(D2)[-1]["headers"], OTHER) is None
          and "避難指示" in decrypt(D2, to(D2)[-1])["title"],
          "the push service answers again: the waiting subscriptions are delivered (aud: its origin)")

    cmd("order 5 0620300 1")
    step(T + 120)
    check(len(to(A)) == 1, "the drill did not reach the channel not marked for exercises")
    check(len(to(F)) == 2, "the drill reached the exercise channel")
    drill = decrypt(F, to(F)[1])
    check(drill["exercise"] and "訓練" in drill["title"] and "訓練" in drill["body"],
          f"the drill: 「訓練」 in title and body ({drill['title']})")
    # An order for the other district: not to A (its district is dist[0]),
    # but to F (whole city).
    cmd(f"order 3 - 0 {dist[1]}")
    step(T + 125)
    check(len(to(A)) == 1 and len(to(F)) == 3, "a district's order reaches only its district")
    n = len(got)
    step(T + 130)
    step(T + 140)
    check(len([g for g in got[n:] if g["name"] in ("good", "drill")]) == 0, "nothing sent twice")
    # Many subscribers: a round sends a batch of 200 and says more are due,
    # so the thread goes on at once; every one gets its own encryption.
    many = [Browser(f"m{k}") for k in range(230)]
    for b in many:
        cmd(f'rule push {canon(b)} 3 0 - ["order.issued"]')
    cmd("order 3 0620300 0")
    t0 = time.monotonic()
    s1 = step(T + 200)
    s2 = step(T + 201)
    took = time.monotonic() - t0
    # (C's push service still answers 500: its items count as failed.)
    check(s1["sent"] + s1["failed"] == 200 and s1["more"] == 1,
          f"a full batch of 200, more due ({s1})")
    check(s2["more"] == 0 and s2["sent"] > 0, f"the rest in the next delivery ({s2}, {took:.1f} s)")
    check(all(len(to(b)) == 1 for b in many), "each of the 230 got exactly one push")
    check(all("高齢者等避難" in decrypt(b, to(b)[0])["title"] for b in many[::23]),
          "and a sample decrypts, each with its own keys")
    log = drv.log()
    check("removed" in log and not any(x in log for b in (A, B, B4, C, D, D2, F) for x in (
        b.endpoint.split("/")[-2], b64u(b.pub), b64u(b.auth))) and ORIGIN not in log
          and "localhost" not in log,
          "the engine's log names no endpoint, host or key")
finally:
    release.set()
    drv_rc = drv.close()
    push.shutdown()
check(drv_rc == 0, "the driver exits cleanly")

# ---- The channel's keys are checked by -n ----
bad = os.path.join(d, "bad.conf")
for key_file, subject, key, what in (
        ("cert.pem", CONTACT, "vapid_key_file", "a VAPID key that is not a private key"),
        ("vapid.pem", "bousai@city.example.jp", "subject", "a subject without mailto:")):
    with open(bad, "w") as f:
        f.write(f"[store]\npath = sonae.db\n[notify.wp]\ntype = webpush\n"
                f"vapid_key_file = {key_file}\nsubject = {subject}\n")
    r = subprocess.run([exe("sonae-portald"), "-n", "-c", bad], capture_output=True, text=True,
                       timeout=30 * SCALE)
    check(r.returncode != 0 and key in r.stdout + r.stderr, f"-n refuses {what}, naming {key}")
rmtree(d)
done("webpush")
