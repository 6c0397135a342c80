"""Staff sessions kept in the store (migration 0008), against two real
sonae-portald on one SpatiaLite file: a session opened on one instance
works on the other, for reads and for writes with its CSRF token, and
survives a restart of the portal (the HQ is not logged out at 3 a.m.).
The store holds only the keyed hash of the session id: the cookie's value
is nowhere in the database file, and the stored hash used as a cookie
opens nothing.  last_seen_at follows use; an expired session is refused
and purged at the next login; logout on one instance ends the session on
both; `sonae user disable` and `sonae user passwd` end the user's
sessions at once.  Forged cookies (random, SQL, overlong, NUL, the hash
itself) get 401 and change nothing.

With --postgis (portal-sessions-postgis) the same, with both portals on
one PostgreSQL database (tests/lib/pgserver.py): the deployment several
portal instances share.  The checks read the database with psql, and
"nowhere in the database" is a pg_dump of it."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal, write_conf  # noqa: E402
from sonaetest import SCALE, check, done, exe, rmtree, tmpdir  # noqa: E402
from storeq import Store  # noqa: E402

PW = {"ed1": "henshu-pass-0001", "ad1": "kanri-pass-00001"}
d = tmpdir("sonae-portal-sessions-")
store = Store(d)
q = store.q
conf = write_conf(d, 0, extra=store.conf)


def sonae(*args, stdin=""):
    return subprocess.run([exe("sonae"), "-c", conf, *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=60 * SCALE)


def call(p, method, path, body=None, cookie=None, csrf=None):
    h = {"Content-Type": "application/json"} if body is not None else {}
    if cookie:
        h["Cookie"] = cookie
    if csrf:
        h["X-CSRF-Token"] = csrf
    st, hd, data = p.get(path, h, method=method, body=json.dumps(body).encode() if body is not None else None)
    try:
        return st, hd, json.loads(data) if data else None
    except ValueError:
        return st, hd, None


def login(p, name):
    st, hd, js = call(p, "POST", "/api/v1/auth/login", {"name": name, "password": PW[name]})
    return st, hd.get("set-cookie", "").split(";")[0], js


notice = {"category": "other", "area_code": "0620300", "title_ja": "交代", "text_ja": "夜間班に交代しました。",
          "public": False}
a = b = None
try:
    for name, role in (("ed1", "editor"), ("ad1", "admin")):
        r = sonae("user", "add", name, "--role", role, stdin=PW[name] + "\n")
        check(r.returncode == 0, f"user add {name}: {r.stderr.strip()}")
    a = Portal(d, extra=store.conf)
    b = Portal(d, extra=store.conf)
    st, ed, me = login(a, "ed1")
    check(st == 200 and ed.startswith("sonae_session="), "ed1 logs in on instance A")
    sid = ed.split("=", 1)[1]
    rows = q("SELECT token_hash, csrf, created_at, last_seen_at, expires_at, user_id FROM sessions")
    check(len(rows) == 1 and len(rows[0][0]) == 32 and rows[0][1] == me["csrf"]
          and rows[0][4] - rows[0][2] == 12 * 3600, "the store has one session: a 32-byte hash, its CSRF, one shift")
    check(sid.encode() not in store.all_bytes(60 * SCALE), "the session id itself is nowhere in the database file")

    st, _, m = call(b, "GET", "/api/v1/auth/me", cookie=ed)
    check(st == 200 and m["name"] == "ed1" and m["csrf"] == me["csrf"], "instance B knows the session")
    st, _, n1 = call(b, "POST", "/api/v1/notices", notice, cookie=ed, csrf=me["csrf"])
    check(st == 201, "a write with the session's CSRF token works on instance B")
    st, _, _ = call(b, "POST", "/api/v1/notices", notice, cookie=ed)
    check(st == 403, "and without the token it is still refused there")

    # --- restart ---
    a.stop()
    a = Portal(d, extra=store.conf)
    st, _, m = call(a, "GET", "/api/v1/auth/me", cookie=ed)
    check(st == 200 and m["name"] == "ed1", "after a restart of A the session still works")
    st, _, _ = call(a, "POST", "/api/v1/notices", dict(notice, title_ja="再起動後"), cookie=ed, csrf=me["csrf"])
    check(st == 201, "and still writes with its CSRF token")

    # --- last seen ---
    q("UPDATE sessions SET created_at = created_at - 600, last_seen_at = created_at - 600")
    before = q("SELECT last_seen_at FROM sessions")[0][0]
    call(a, "GET", "/api/v1/auth/me", cookie=ed)
    after = q("SELECT last_seen_at FROM sessions")[0][0]
    check(after >= int(time.time()) - 5 and after > before, f"last_seen_at follows use ({before} → {after})")

    # --- forged cookies ---
    h = rows[0][0]
    n_audit = q("SELECT count(*) FROM audit_log")[0][0]
    forged = ["sonae_session=" + "A" * 43, "sonae_session=" + h.hex(), "sonae_session=" + h.hex()[:43],
              "sonae_session=' OR 1=1 --", "sonae_session=" + "x" * 5000, "sonae_session=" + sid[:-1] + "%00",
              "sonae_session=" + sid[:-1], "sonae_session=" + sid.lower() if sid != sid.lower() else "sonae_session=0"]
    for c in forged:
        st, _, _ = call(a, "GET", "/api/v1/auth/me", cookie=c)
        st2, _, _ = call(a, "POST", "/api/v1/notices", notice, cookie=c, csrf=me["csrf"])
        check(st in (400, 401, 431) and st2 in (400, 401, 431), f"forged cookie {c[:40]!r}…: refused ({st}, {st2})")
    check(q("SELECT count(*) FROM sessions")[0][0] == 1 and q("SELECT count(*) FROM audit_log")[0][0] == n_audit,
          "the forged cookies changed nothing (sessions, audit log)")

    # --- expiry and purge ---
    st, ad, adme = login(a, "ad1")
    check(st == 200 and q("SELECT count(*) FROM sessions")[0][0] == 2, "ad1 logs in: two sessions")
    t = int(time.time()) - 1
    q("UPDATE sessions SET created_at = ?, last_seen_at = ?, expires_at = ? "
      "WHERE user_id = (SELECT id FROM users WHERE name = 'ad1')", t - 12 * 3600, t - 60, t)
    st, _, _ = call(b, "GET", "/api/v1/auth/me", cookie=ad)
    check(st == 401, "an expired session is refused")
    st, ad, adme = login(b, "ad1")
    check(st == 200 and q("SELECT count(*) FROM sessions WHERE expires_at <= ?", int(time.time()))[0][0] == 0
          and q("SELECT count(*) FROM sessions")[0][0] == 2, "the next login purges the expired one")

    # --- logout on B ends it on A ---
    st, hd, _ = call(b, "POST", "/api/v1/auth/logout", {}, cookie=ad, csrf=adme["csrf"])
    check(st == 200 and "Max-Age=0" in hd.get("set-cookie", ""), "ad1 logs out on B")
    st, _, _ = call(a, "GET", "/api/v1/auth/me", cookie=ad)
    check(st == 401 and q("SELECT count(*) FROM sessions")[0][0] == 1, "the session is gone on A too")

    # --- passwd and disable ---
    st, ad, adme = login(a, "ad1")
    r = sonae("user", "passwd", "ad1", stdin="kanri-pass-00002\n")
    check(r.returncode == 0, "sonae user passwd ad1")
    st, _, _ = call(a, "GET", "/api/v1/auth/me", cookie=ad)
    check(st == 401, "a new password ends the user's sessions")
    r = sonae("user", "disable", "ed1")
    check(r.returncode == 0, "sonae user disable ed1")
    st, _, _ = call(a, "GET", "/api/v1/auth/me", cookie=ed)
    st2, _, _ = call(b, "GET", "/api/v1/auth/me", cookie=ed)
    check(st == 401 and st2 == 401 and q("SELECT count(*) FROM sessions")[0][0] == 0,
          "disabling ed1 ends the session on both instances, and its row is gone")
    st, _, _ = call(a, "POST", "/api/v1/notices", notice, cookie=ed, csrf=me["csrf"])
    check(st == 401, "the disabled user's cookie cannot write")
    log = a.log() + b.log()
    check(sid not in log and all(pw not in log for pw in PW.values()), "no session id or password in the logs")
    for x in (a, b):
        x.daemon.signal(signal.SIGTERM)
        check(x.daemon.wait(5) == 0, "the daemon exits 0 (under ASan: no leak, no bad access)")
finally:
    for x in (a, b):
        if x:
            x.stop()
    store.close()
    rmtree(d)
done(store.name("portal-sessions"))
