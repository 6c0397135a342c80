"""`sonae jma parse` refuses hostile and broken input, naming the reason.

Every input is authored here.  Each must be refused within 5 s (scaled) with
one line on stderr and nothing on stdout, and none may read a local file or
touch the network: the external entities point at a local file holding a
random secret and at an HTTP server on 127.0.0.1 that counts requests; the
secret must never appear in any output and the server must see no request.
A real telegram given after the hostile ones still parses, so one bad file
loses nothing good."""

import http.server
import os
import secrets
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sonaetest import FIXTURES, SCALE, check, done, exe, rmtree, tmpdir  # noqa: E402

NS = "http://xml.kishou.go.jp/jmaxml1/"
GOOD = os.path.join(FIXTURES, "jma_xml", "operational", "20240725040511_0_VPWW54_060000.xml")


class Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        Counter.hits += 1
        body = b"<!ENTITY leak 'NETWORK-WAS-READ'>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def report(inner):
    return f'<Report xmlns="{NS}"><Control><Title>{inner}</Title></Control></Report>'


def cases(d, secret_path, port):
    url = f"http://127.0.0.1:{port}/x"
    with open(GOOD, "rb") as f:
        good = f.read()
    c = {}
    c["xxe-file.xml"] = (
        f'<?xml version="1.0"?><!DOCTYPE Report [<!ENTITY x SYSTEM "file://{secret_path}">]>'
        + report("&x;"), "DOCTYPE")
    c["xxe-network.xml"] = (
        f'<?xml version="1.0"?><!DOCTYPE Report [<!ENTITY x SYSTEM "{url}">]>' + report("&x;"),
        "DOCTYPE")
    c["xxe-parameter.xml"] = (
        f'<!DOCTYPE Report [<!ENTITY % p SYSTEM "file://{secret_path}"> %p;]>' + report("a"),
        "DOCTYPE")
    c["external-dtd.xml"] = (f'<!DOCTYPE Report SYSTEM "{url}">' + report("&leak;"), "DOCTYPE")
    c["entity-no-doctype.xml"] = (report("&x;"), "not well-formed")
    c["billion-laughs.xml"] = (
        '<?xml version="1.0"?><!DOCTYPE Report [<!ENTITY l0 "lol">'
        + "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
        + "]>" + report("&l9;"), "DOCTYPE")
    big = "A" * 50000
    c["quadratic-blowup.xml"] = (
        f'<?xml version="1.0"?><!DOCTYPE Report [<!ENTITY a "{big}">]>'
        + report("&a;" * 50000), "DOCTYPE")
    depth = 200000
    c["deep-nesting.xml"] = (
        f'<Report xmlns="{NS}">' + "<a>" * depth + "</a>" * depth + "</Report>", "not well-formed")
    i = good.index("山形県".encode())
    c["invalid-utf8.xml"] = (good[:i] + b"\xff\xfe" + good[i:], "invalid UTF-8")
    c["overlong-utf8.xml"] = (report("\u3042").encode()[:-20] + b"\xc0\xaf" + report("").encode()[-20:],
                              "invalid UTF-8")
    c["utf16.xml"] = (good.decode("utf-8").encode("utf-16"), "invalid UTF-8")
    c["html-error.html"] = (
        "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
        "<body><h1>Service Unavailable</h1><p>The server is busy.</p></body></html>\n", "DOCTYPE")
    c["html-nodoctype.html"] = (
        "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n",
        "not a JMA Report")
    c["empty.xml"] = (b"", "empty")
    c["blank.xml"] = (b"  \n\t\n", "empty")
    feed = os.path.join(FIXTURES, "jma_feed")
    atom = sorted(f for f in os.listdir(feed) if f.endswith(".xml"))[0]
    with open(os.path.join(feed, atom), "rb") as f:
        c["atom-feed.xml"] = (f.read(), "not a JMA Report")
    c["report-no-namespace.xml"] = ("<Report><Control><Title>x</Title></Control></Report>",
                                    "not a JMA Report")
    c["report-other-namespace.xml"] = (
        '<Report xmlns="http://example.com/jmaxml1/"><Control/></Report>', "not a JMA Report")
    c["truncated.xml"] = (good[: len(good) // 2], "truncated")
    c["truncated-in-tag.xml"] = (good[: good.index(b"<Head") + 3], "truncated")
    return c


def main():
    d = tmpdir()
    secret = "SONAE-SECRET-" + secrets.token_hex(16)
    secret_path = os.path.join(d, "secret.txt")
    with open(secret_path, "w") as f:
        f.write(secret)
    srv = http.server.HTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    try:
        paths = []
        for name, (content, reason) in cases(d, secret_path, port).items():
            p = os.path.join(d, name)
            with open(p, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
            paths.append(p)
            t0 = time.monotonic()
            r = subprocess.run([exe("sonae"), "jma", "parse", p], capture_output=True,
                               timeout=60 * SCALE)
            took = time.monotonic() - t0
            out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
            check(r.returncode == 1, f"{name}: refused with exit 1 (got {r.returncode})")
            check(took < 5 * SCALE, f"{name}: refused in {took:.2f} s (< {5 * SCALE:.0f} s)")
            check(out == "", f"{name}: nothing on stdout")
            lines = err.strip("\n").split("\n")
            check(len(lines) == 1 and f"refused ({reason})" in lines[0],
                  f"{name}: one stderr line naming '{reason}' ({err.strip()[:300]})")
            check(secret not in out + err and "NETWORK-WAS-READ" not in out + err,
                  f"{name}: no local file or network content in the output")

        # 60 MB: refused on its size, without reading it whole.
        p = os.path.join(d, "sixty-mb.xml")
        with open(p, "wb") as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><Report xmlns="{NS}"><Control><Title>'.encode())
            chunk = b"A" * (1 << 20)
            for _ in range(60):
                f.write(chunk)
            f.write(b"</Title></Control></Report>")
        paths.append(p)
        t0 = time.monotonic()
        r = subprocess.run([exe("sonae"), "jma", "parse", p], capture_output=True, timeout=60 * SCALE)
        took = time.monotonic() - t0
        err = r.stderr.decode("utf-8", "replace")
        check(r.returncode == 1 and "refused (too large)" in err and r.stdout == b"",
              f"60 MB document refused as too large ({err.strip()})")
        check(took < 5 * SCALE, f"60 MB document refused in {took:.2f} s")

        # All of them at once, then a real telegram: the good one still parses.
        r = subprocess.run([exe("sonae"), "jma", "parse"] + paths + [GOOD], capture_output=True,
                           timeout=120 * SCALE)
        out = r.stdout.decode("utf-8").splitlines()
        err = r.stderr.decode("utf-8", "replace").strip("\n").split("\n")
        check(r.returncode == 1, "a run with refused files exits 1")
        check(len(out) == 1 and '"head_title":"山形県気象警報・注意報"' in out[0],
              "the real telegram after the hostile ones is still parsed")
        check(len(err) == len(paths), f"one stderr line per refused file ({len(err)} for {len(paths)})")
        check(Counter.hits == 0, f"the HTTP server on 127.0.0.1 saw no request ({Counter.hits})")

        # Usage errors are not refusals.
        r = subprocess.run([exe("sonae"), "jma", "parse"], capture_output=True, timeout=10 * SCALE)
        check(r.returncode == 2, "sonae jma parse without a file is a usage error (exit 2)")
        r = subprocess.run([exe("sonae"), "jma", "parse", os.path.join(d, "missing.xml")],
                           capture_output=True, timeout=10 * SCALE)
        check(r.returncode == 1 and b"cannot read" in r.stderr, "a missing file fails with exit 1")
    finally:
        srv.shutdown()
        rmtree(d)
    done("jma-parse-hostile")


if __name__ == "__main__":
    main()
