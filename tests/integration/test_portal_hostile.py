"""Every route × every parameter × a fixed list of hostile payloads.

The routes and their parameters come from the server's own OpenAPI document
(generated from the route table), so a route added later is covered without
editing this test.  For each route a baseline answer is taken with ordinary
values; then each parameter in turn (path segments, declared query
parameters and one undeclared one) gets each payload.  Every answer must be
a 4xx or identical to the baseline (status and body, ignoring clock fields),
never a 5xx, never a dropped connection, and the server must still answer
afterwards.  When a store file exists, its checksum must not change."""

import hashlib
import json
import os
import signal
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal, status_of  # noqa: E402
from sonaetest import check, done, rmtree  # noqa: E402

PAYLOADS = [
    ("sql-quote", "' OR '1'='1"),
    ("sql-drop", "1; DROP TABLE stations;--"),
    ("sql-union", "1 UNION SELECT sqlite_version()--"),
    ("traversal", "../../../../etc/passwd"),
    ("traversal-enc", "..%2f..%2fetc%2fpasswd"),
    ("overlong", "A" * 5000),
    ("nul", "a\x00b"),
    ("nul-only", "\x00"),
    ("wrong-type-word", "abc"),
    ("wrong-type-neg", "-1"),
    ("wrong-type-huge", "99999999999999999999999"),
    ("wrong-type-float", "1e309"),
    ("wrong-type-json", '{"$gt":""}'),
    ("format", "%s%s%n%x"),
    ("crlf", "a\r\nSet-Cookie: x=1"),
    ("bad-utf8", b"\xc0\xaf\xff".decode("latin-1")),
    ("empty", ""),
    ("script", "<script>alert(1)</script>"),
]

# Ordinary values for parameters, by name then by declared type.
BASE_BY_NAME = {"bbox": "139.5,38.4,140.1,38.9", "datetime": "2024-07-25T00:00:00+09:00/..",
                "limit": "10", "offset": "0", "lat": "38.7271", "lon": "139.8267", "format": "json"}


def base_value(p):
    if p["name"] in BASE_BY_NAME:
        return BASE_BY_NAME[p["name"]]
    s = p.get("schema", {})
    if "enum" in s:
        return s["enum"][0]
    if s.get("type") in ("integer", "number"):
        return str(int(max(s.get("minimum", 0), 1)))
    return "x"


def normalise(body):
    """Removes the fields that follow the clock, so two answers compare.
    /metrics counts the test's own requests: compare its metric families."""
    if body.startswith(b"# HELP"):
        return b"\n".join(sorted(set(l for l in body.split(b"\n") if l.startswith(b"# "))))
    try:
        j = json.loads(body)
    except ValueError:
        return body

    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in ("time", "timeStamp", "updated_at")}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o
    return json.dumps(strip(j), sort_keys=True).encode()


def quote(v):
    return urllib.parse.quote(v.encode("latin-1") if v.isascii() is False and all(ord(c) < 256 for c in v)
                              else v.encode("utf-8"), safe="")


def build(pattern, path_vals, query):
    path = pattern
    for k, v in path_vals.items():
        path = path.replace("{" + k + "}", quote(v))
    if query:
        path += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    return path


def run(portal, routes_extra_base=None, store_bytes=None, label="phase 1"):
    """Runs the table against a running portal; returns the number of
    requests.  store_bytes: a function giving everything the store holds
    (storeq.Store.all_bytes), which must be the same afterwards."""
    routes_extra_base = routes_extra_base or {}
    st, _, body = portal.get("/api/v1/openapi.json")
    check(st == 200, f"{label}: the OpenAPI document is served")
    doc = json.loads(body)
    digest = hashlib.sha256(store_bytes()).hexdigest() if store_bytes else None
    n = 0
    for pattern, item in sorted(doc["paths"].items()):
        op = item.get("get")
        if not op:
            continue
        params = op.get("parameters", [])
        path_vals = {p["name"]: routes_extra_base.get(p["name"], base_value(p))
                     for p in params if p["in"] == "path"}
        query = {p["name"]: base_value(p) for p in params if p["in"] == "query"}
        base_path = build(pattern, path_vals, query)
        stream = op.get("x-sonae-stream", False)
        if stream:
            # A stream never ends: compare status lines only.
            bst = status_of(portal.head(f"GET {base_path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()))
            bbody = b""
        else:
            bst, _, bbody = portal.get(base_path)
        check(bst < 500, f"{label}: baseline {base_path} answers {bst}")
        targets = [("path", p["name"]) for p in params if p["in"] == "path"]
        targets += [("query", p["name"]) for p in params if p["in"] == "query"]
        targets += [("query", "undeclared")]
        bad = []
        for where, name in targets:
            for pname, payload in PAYLOADS:
                pv, q = dict(path_vals), dict(query)
                if where == "path":
                    if payload == "":
                        continue  # an empty segment is another path, not a value
                    pv[name] = payload
                else:
                    q[name] = payload
                target = build(pattern, pv, q)
                fetch = portal.head if stream else portal.raw
                raw = fetch(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{portal.port}\r\nConnection: close\r\n\r\n"
                                 .encode("latin-1"))
                n += 1
                st = status_of(raw)
                body = b"" if stream else raw.partition(b"\r\n\r\n")[2]
                ok = 400 <= st < 500 or (st == bst and normalise(body) == normalise(bbody))
                if not ok:
                    bad.append(f"{where} {name}={pname}: {st}")
        check(not bad, f"{label}: {pattern}: {len(targets)} parameters × {len(PAYLOADS)} payloads give "
                       f"4xx or the baseline" + (f" (not: {bad[:5]})" if bad else ""))
    st, _, _ = portal.get("/api/v1/ping")
    check(st == 200, f"{label}: the server still answers after {n} hostile requests")
    if store_bytes:
        after = hashlib.sha256(store_bytes()).hexdigest()
        check(after == digest, f"{label}: the store's checksum is unchanged")
    return n


if __name__ == "__main__":
    # A real store (100 gauges of the 危機管理型水位計 snapshot) behind the
    # portal, so the store-backed routes answer from data, not 503.
    import subprocess
    from sonaetest import BUILD, FIXTURES, tmpdir
    d = tmpdir("sonae-portal-hostile-")
    db = os.path.join(d, "sonae.db")
    subprocess.run([os.path.join(BUILD, "tests", "portal-seed"), db, "stations", "100",
                    os.path.join(FIXTURES, "river", "k_river_crisis_gauges", "snapshot_2025-11-01-07JST.json")],
                   check=True, capture_output=True)
    p = Portal(d, extra="[portal]\nevents_without_auth = true\n")
    try:
        n = run(p, {"id": "1", "collectionId": "stations", "featureId": "1"},
                store_bytes=lambda: open(db, "rb").read())
        check(n > 100, f"{n} hostile requests sent")
        log = p.log()
        check(not any(line.startswith("Set-Cookie") for line in log.splitlines()),
              "encoded CR LF did not split a line of the access log")
        p.daemon.signal(signal.SIGTERM)
        check(p.daemon.wait(5) == 0, "the daemon exits 0 after the table")
    finally:
        p.stop()
        rmtree(p.dir)
    done("test_portal_hostile")
