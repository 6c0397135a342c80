"""sonae-portald's HTTP layer against a real server on 127.0.0.1: keep-alive,
static files with their MIME types and cache lifetimes, gzip, ETag and 304,
path traversal refused, oversize bodies refused with 413, 404/405, /metrics
on loopback only, access logs without private query strings, SIGHUP."""

import gzip
import http.client
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal, status_of, wait_log  # noqa: E402
from sonaetest import check, done, free_port, rmtree, wait_for  # noqa: E402

p = Portal(max_body=2048)
web = os.path.join(p.dir, "web")
os.makedirs(os.path.join(web, "assets"))
os.makedirs(os.path.join(web, ".git"))
js = "".join(f"export const level{i} = {i}; // 警戒レベル\n" for i in range(400))
files = {
    "index.html": "<!doctype html><html lang=ja><title>備え</title><p>鶴岡市</p></html>\n" * 20,
    "assets/index-BWu3Xk9a.mjs": js,
    "assets/app.js": js,
    "assets/style-3f2a1b9c.css": "body{color:#000}\n" * 100,
    "assets/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n" * 20,
    "manifest.webmanifest": '{"name":"備え"}',
    ".git/config": "[core]\nsecret = yes\n",
}
for name, text in files.items():
    with open(os.path.join(web, name), "w", encoding="utf-8") as f:
        f.write(text)
png = bytes.fromhex("89504e470d0a1a0a") + os.urandom(2000)
with open(os.path.join(web, "assets", "tile.png"), "wb") as f:
    f.write(png)
woff2 = b"wOF2" + os.urandom(500)
with open(os.path.join(web, "assets", "font-a1b2c3d4.woff2"), "wb") as f:
    f.write(woff2)
outside = os.path.join(p.dir, "secret.txt")
with open(outside, "w") as f:
    f.write("root:x:0:0:secret outside the web root\n")
os.symlink(outside, os.path.join(web, "assets", "link.txt"))

try:
    # --- keep-alive: many answers on one connection ---
    c = p.conn()
    c.request("GET", "/api/v1/ping")
    r = c.getresponse()
    r.read()
    sock = c.sock
    check(r.status == 200 and sock is not None, "ping answers 200")
    for path in ["/api/v1/ping", "/", "/assets/app.js", "/api/v1/openapi.json", "/no-such-file", "/api/v1/ping"]:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        check(c.sock is sock and (r.getheader("Connection") or "").lower() != "close",
              f"keep-alive: {path} answered on the same connection ({r.status})")
    c.close()

    # --- MIME types and cache lifetimes ---
    expect = {
        "/": ("text/html; charset=utf-8", "no-cache"),
        "/index.html": ("text/html; charset=utf-8", "no-cache"),
        "/assets/index-BWu3Xk9a.mjs": ("text/javascript; charset=utf-8", "public, max-age=31536000, immutable"),
        "/assets/app.js": ("text/javascript; charset=utf-8", "public, max-age=3600"),
        "/assets/style-3f2a1b9c.css": ("text/css; charset=utf-8", "public, max-age=31536000, immutable"),
        "/assets/icon.svg": ("image/svg+xml", "public, max-age=3600"),
        "/assets/tile.png": ("image/png", "public, max-age=3600"),
        "/assets/font-a1b2c3d4.woff2": ("font/woff2", "public, max-age=31536000, immutable"),
        "/manifest.webmanifest": ("application/manifest+json", "public, max-age=3600"),
    }
    for path, (ctype, cc) in expect.items():
        st, h, body = p.get(path)
        check(st == 200 and h.get("content-type") == ctype, f"{path} is {ctype} (got {h.get('content-type')})")
        check(h.get("cache-control") == cc, f"{path} Cache-Control {cc!r} (got {h.get('cache-control')!r})")
        check(h.get("etag", "").startswith('"') and h.get("x-content-type-options") == "nosniff",
              f"{path} has an ETag and nosniff")
    st, h, body = p.get("/assets/tile.png")
    check(body == png, "binary files arrive byte for byte")
    st, h, body = p.get("/assets/index-BWu3Xk9a.mjs", method="HEAD")
    check(st == 200 and body == b"" and int(h.get("content-length")) == len(js.encode()),
          "HEAD gives the length without the body")

    # --- gzip ---
    st, h, body = p.get("/assets/index-BWu3Xk9a.mjs", {"Accept-Encoding": "gzip, br"})
    check(h.get("content-encoding") == "gzip", "text is gzipped when the client accepts it")
    check(gzip.decompress(body).decode() == js, "the gzip body is the file")
    check("accept-encoding" in h.get("vary", "").lower(), "Vary: Accept-Encoding")
    st, h2, body2 = p.get("/assets/index-BWu3Xk9a.mjs", {"Accept-Encoding": "gzip;q=0, identity"})
    check("content-encoding" not in h2 and body2.decode() == js, "gzip;q=0 gets the plain file")
    st, h3, body3 = p.get("/assets/tile.png", {"Accept-Encoding": "gzip"})
    check("content-encoding" not in h3 and body3 == png, "PNG is not recompressed")
    st, h4, body4 = p.get("/api/v1/openapi.json", {"Accept-Encoding": "gzip"})
    check(st == 200 and h4.get("content-encoding") == "gzip", "public API answers are gzipped too")
    check(b'"openapi"' in gzip.decompress(body4), "and decompress to the document")

    # --- ETag and 304 ---
    for path in ["/assets/app.js", "/api/v1/openapi.json", "/api/v1/ogc/conformance"]:
        st, h, body = p.get(path)
        etag = h.get("etag")
        st2, h2, body2 = p.get(path, {"If-None-Match": etag})
        check(st2 == 304 and body2 == b"" and h2.get("etag") == etag, f"{path}: If-None-Match answers 304")
        check(h2.get("cache-control") == h.get("cache-control"), f"{path}: the 304 keeps Cache-Control")
        st3, _, _ = p.get(path, {"If-None-Match": '"0000000000000000"'})
        check(st3 == 200, f"{path}: another ETag gets the full answer")
        st, hg, _ = p.get(path, {"Accept-Encoding": "gzip"})
        st4, _, _ = p.get(path, {"If-None-Match": f'W/{hg.get("etag")}', "Accept-Encoding": "gzip"})
        check(st4 == 304, f"{path}: the gzip ETag (weakly compared) answers 304")
    st, h, _ = p.get("/api/v1/ping")
    check(h.get("cache-control") == "no-store" and "etag" not in h, "private answers: no-store, no ETag")
    check("access-control-allow-origin" not in h, "private answers: no CORS")
    st, h, _ = p.get("/api/v1/openapi.json", {"Accept-Encoding": "gzip"})
    check(h.get("access-control-allow-origin") == "*", "public API answers may be read by any origin")
    st, h, _ = p.get("/index.html")
    check("access-control-allow-origin" not in h, "static files carry no CORS header")
    # A changed file gets a new ETag at once.
    st, h, _ = p.get("/assets/app.js")
    with open(os.path.join(web, "assets", "app.js"), "a") as f:
        f.write("// changed\n")
    st2, h2, body2 = p.get("/assets/app.js", {"If-None-Match": h.get("etag")})
    check(st2 == 200 and body2.endswith(b"// changed\n") and h2.get("etag") != h.get("etag"),
          "a changed file is served new, not 304")

    # --- path traversal and hidden files ---
    attempts = [
        b"/../../../../etc/passwd",
        b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        b"/assets/..%2f..%2f..%2fetc%2fpasswd",
        b"/assets/%2e%2e/%2e%2e/secret.txt",
        b"/..%5c..%5cetc%5cpasswd",
        b"/.git/config",
        b"/assets/link.txt",
        b"/assets/tile.png%00.html",
        b"//etc/passwd",
    ]
    for a in attempts:
        raw = p.raw(b"GET " + a + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        st = status_of(raw)
        check(400 <= st < 500 and b"root:" not in raw and b"secret" not in raw,
              f"traversal {a.decode()} refused ({st})")

    # --- request size caps ---
    st, h, body = p.get("/api/v1/ping", method="POST", body=b"x" * 4096,
                        headers={"Content-Type": "application/json"})
    check(st == 413, f"a 4 KB body over max_body = 2048 is refused with 413 ({st})")
    raw = p.raw(b"POST /api/v1/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
    check(status_of(raw) == 413, "an absurd Content-Length is refused with 413")
    chunk = b"%x\r\n%s\r\n" % (1000, b"y" * 1000)
    raw = p.raw(b"POST /api/v1/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk * 5 + b"0\r\n\r\n")
    check(status_of(raw) == 413, f"a chunked body over the cap is refused with 413 ({status_of(raw)})")
    long_url = b"/api/v1/ping?x=" + b"A" * 100000
    raw = p.raw(b"GET " + long_url + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check(400 <= status_of(raw) < 500 or raw == b"", f"a 100 KB request line is refused ({status_of(raw)})")
    st, _, _ = p.get("/api/v1/ping")
    check(st == 200, "the server still answers after the oversize requests")

    # --- 404, 405 ---
    st, h, body = p.get("/api/v1/no-such-thing")
    check(st == 404 and h.get("content-type") == "application/json" and b'"status":404' in body,
          "unknown API paths answer 404 in JSON")
    st, h, body = p.get("/api/v1/ping", method="DELETE")
    check(st == 405 and "GET" in h.get("allow", ""), "a wrong method answers 405 with Allow")
    st, h, body = p.get("/index.html", method="POST", body=b"{}")
    check(st == 405, "static files refuse POST")

    # --- /metrics: loopback only ---
    st, h, body = p.get("/metrics")
    text = body.decode()
    check(st == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4"),
          "/metrics answers in Prometheus text format")
    check('sonae_http_requests_total{route="ping",code="200"}' in text, "requests counted by route and code")
    check('sonae_http_requests_total{route="static",code="304"}' in text, "304s counted")
    check('sonae_http_request_duration_seconds_bucket{route="ping",le="+Inf"}' in text,
          "latency histogram present")
    before = int(text.split('sonae_http_requests_total{route="ping",code="200"} ')[1].split()[0])
    p.get("/api/v1/ping")

    # A request is counted when its connection reports it complete, which
    # may come a moment after the client has read the answer (slowly under
    # ASan): wait for the count, then check it moved by exactly one.
    def ping_count():
        b = p.get("/metrics")[2].decode()
        return int(b.split('sonae_http_requests_total{route="ping",code="200"} ')[1].split()[0])

    wait_for(lambda: ping_count() >= before + 1, 2)
    after = ping_count()
    check(after == before + 1, "the counter moves by one per request")
    st, h, body = p.get("/metrics", {"X-Forwarded-For": "203.0.113.9"})
    check(st == 403, "/metrics through a proxy is refused")

    # --- access log: no private query strings ---
    p.get("/api/v1/hazard?lat=38.7271&lon=139.8267")
    p.get("/api/v1/addresses?q=%E6%9C%AC%E7%94%BA")
    p.get("/api/v1/timelines?token=abcdef123456")
    p.get("/index.html?lat=38.7272")
    p.get("/api/v1/ogc/collections?f=json")
    check(wait_log(p, '"GET /api/v1/ogc/collections?f=json"'), "allowed routes log their query")
    log = p.log()
    check('"GET /api/v1/hazard"' in log and "38.727" not in log and "139.826" not in log,
          "the access log holds no position of hazard")
    check("E6%9C%AC" not in log and "本町" not in log and "abcdef123456" not in log,
          "nor the address query nor a timeline token")

    # --- SIGHUP: a new web root and a new port ---
    web2 = os.path.join(p.dir, "web2")
    os.makedirs(web2)
    with open(os.path.join(web2, "index.html"), "w") as f:
        f.write("<p>second root</p>")
    port2 = free_port()
    conf = open(p.conf).read().replace("web_root = web", "web_root = web2").replace(
        f"127.0.0.1:{p.port}", f"127.0.0.1:{port2}")
    with open(p.conf, "w") as f:
        f.write(conf)
    p.daemon.signal(signal.SIGHUP)
    check(wait_log(p, "configuration reloaded"), "SIGHUP reloads")
    old = p.port
    p.port = port2
    st, h, body = p.get("/")
    check(st == 200 and b"second root" in body, "the new web root is served on the new port")
    try:
        socket.create_connection(("127.0.0.1", old), timeout=2).close()
        gone = False
    except ConnectionRefusedError:
        gone = True
    check(gone, "the old port is closed (connections refused)")
    # A listen address that cannot be bound keeps the running server.
    with open(p.conf, "w") as f:
        f.write(conf.replace(f"127.0.0.1:{port2}", "203.0.113.1:80"))
    p.daemon.signal(signal.SIGHUP)
    check(wait_log(p, "keeping the old one"), "an unbindable address is refused on reload")
    st, _, _ = p.get("/api/v1/ping")
    check(st == 200, "and the old server keeps answering")
    p.daemon.signal(signal.SIGTERM)
    check(p.daemon.wait(5) == 0, "SIGTERM stops it with exit code 0")
finally:
    p.stop()
    rmtree(p.dir)
done("test_portal_http")
