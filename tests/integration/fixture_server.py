"""A fixture HTTP server for Sonae's collector tests (standard library only).

It runs in the test's own process (a ThreadingHTTPServer on 127.0.0.1, port
chosen by the system, in a background thread), so the test changes what it
serves and reads what it was asked between two polls of the daemon.

    from fixture_server import FixtureServer

    with FixtureServer() as srv:
        srv.put("/feed.json", b'{"obss": []}')             # in-memory body
        srv.put_file("/doc.xml", "/path/to/fixture.xml")     # a file, read at each request
        url = srv.url("/feed.json")                         # http://127.0.0.1:PORT/feed.json
        ...
        srv.counts("/feed.json")   # {"total", "full", "conditional", "not_modified",
                                   #  "served", "faults"}
        srv.fault("/feed.json", "500", times=2)             # the next 2 requests answer 500
        srv.wait_requests("/feed.json", 3, timeout=5)       # until 3 requests came

Bodies:
  put(path, body, content_type=None, last_modified=None, etag=None, status=200)
      body is bytes (str is encoded as UTF-8).  last_modified is Unix seconds
      (default: the time of the put); etag defaults to a quoted hash of the
      body.  Replacing a body changes both, so conditional requests see it.
  put_file(path, filename, content_type=None, last_modified=None)
      serves the file's bytes; Last-Modified defaults to the file's mtime.
  remove(path)            the path answers 404 again.
  redirect(path, to, status=302)   answers a redirect to `to` (a path or URL).

Conditional GET: a request carrying If-None-Match equal to the ETag, or
If-Modified-Since not older than Last-Modified, gets 304.  Every request is
counted per path: "full" (no validators), "conditional" (with validators),
"not_modified" (answered 304), "served" (answered with the body),
"faults" (answered by a fault), "total".

Faults (fault(path, kind, times=None); times=None lasts until clear_fault):
  "500"      answers 500 with a short text body
  "404"      answers 404
  "hang"     accepts the request and sends nothing until the server closes
             or hang_seconds pass (default 600)
  "reset"    closes the connection abruptly (TCP RST) without an answer
  "truncate" announces the full Content-Length and sends half the body
  "html"     answers 200 text/html with an error page instead of the payload
  "slow"     sends the body slowly (slow_seconds spread over it, default 5)
clear_fault(path) ends a fault.

Also: requests (a list of (method, path, headers) of every request),
last_headers(path), reset_counts(), close().  Paths are matched without the
query string.
"""

import email.utils
import hashlib
import os
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>エラー</title></head>"
    "<body><h1>ただいまアクセスが集中しています</h1><p>しばらくしてから再度アクセスしてください。</p>"
    "</body></html>"
).encode("utf-8")


class _Entry:
    def __init__(self, body=None, filename=None, content_type=None, last_modified=None, etag=None,
                 status=200, redirect=None):
        self.body = body
        self.filename = filename
        self.content_type = content_type or "application/octet-stream"
        self.last_modified = last_modified
        self.etag = etag
        self.status = status
        self.redirect = redirect

    def payload(self):
        if self.filename is not None:
            with open(self.filename, "rb") as f:
                return f.read()
        return self.body


def _guess_type(path):
    for ext, t in ((".json", "application/json"), (".xml", "application/xml"),
                   (".txt", "text/plain; charset=utf-8"), (".csv", "text/csv"),
                   (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"), (".html", "text/html")):
        if path.endswith(ext):
            return t
    return "application/octet-stream"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that give up (timeouts, the daemon stopping) are expected.
        pass


class FixtureServer:
    def __init__(self, host="127.0.0.1"):
        self._lock = threading.Lock()
        self._entries = {}
        self._faults = {}
        self._counts = {}
        self._cond = threading.Condition(self._lock)
        self.requests = []
        self._last_headers = {}
        self.hang_seconds = 600.0
        self.slow_seconds = 5.0
        self._closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this,
            # Nagle and the client's delayed ACK cost 40 ms per request.
            disable_nagle_algorithm = True

            def log_message(self, fmt, *args):  # quiet: tests print their own lines
                pass

            def do_GET(self):
                server._handle(self)

            def do_HEAD(self):
                server._handle(self, head=True)

        self.httpd = _Server((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    # ---- control ----
    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def put(self, path, body, content_type=None, last_modified=None, etag=None, status=200):
        if isinstance(body, str):
            body = body.encode("utf-8")
        if last_modified is None:
            last_modified = time.time()
        if etag is None:
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        with self._lock:
            self._entries[path] = _Entry(body=body, content_type=content_type or _guess_type(path),
                                         last_modified=int(last_modified), etag=etag, status=status)

    def put_file(self, path, filename, content_type=None, last_modified=None):
        if last_modified is None:
            last_modified = os.stat(filename).st_mtime
        with open(filename, "rb") as f:
            etag = '"' + hashlib.sha256(f.read()).hexdigest()[:20] + '"'
        with self._lock:
            self._entries[path] = _Entry(filename=filename,
                                         content_type=content_type or _guess_type(filename),
                                         last_modified=int(last_modified), etag=etag)

    def remove(self, path):
        with self._lock:
            self._entries.pop(path, None)

    def redirect(self, path, to, status=302):
        with self._lock:
            self._entries[path] = _Entry(status=status, redirect=to)

    def fault(self, path, kind, times=None):
        assert kind in ("500", "404", "hang", "reset", "truncate", "html", "slow"), kind
        with self._lock:
            self._faults[path] = [kind, times]

    def clear_fault(self, path):
        with self._lock:
            self._faults.pop(path, None)

    def counts(self, path):
        with self._lock:
            return dict(self._counts.get(path, self._zero()))

    def reset_counts(self):
        with self._lock:
            self._counts.clear()
            self.requests.clear()

    def last_headers(self, path):
        with self._lock:
            return dict(self._last_headers.get(path, {}))

    def wait_requests(self, path, n, timeout):
        """Waits until path has had n requests in all (timeout in seconds, not scaled)."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._counts.get(path, self._zero())["total"] < n:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self):
        self._closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- serving ----
    @staticmethod
    def _zero():
        return {"total": 0, "full": 0, "conditional": 0, "not_modified": 0, "faults": 0, "served": 0}

    def _count(self, path, key):
        c = self._counts.setdefault(path, self._zero())
        c[key] += 1

    def _handle(self, h, head=False):
        path = h.path.split("?", 1)[0]
        ims = h.headers.get("If-Modified-Since")
        inm = h.headers.get("If-None-Match")
        with self._cond:
            self.requests.append((h.command, path, dict(h.headers)))
            self._last_headers[path] = dict(h.headers)
            c = self._counts.setdefault(path, self._zero())
            c["total"] += 1
            c["conditional" if (ims or inm) else "full"] += 1
            entry = self._entries.get(path)
            fault = None
            f = self._faults.get(path)
            if f:
                fault = f[0]
                if f[1] is not None:
                    f[1] -= 1
                    if f[1] <= 0:
                        del self._faults[path]
                c["faults"] += 1
            self._cond.notify_all()
        if fault:
            return self._serve_fault(h, fault, entry)
        if entry is None:
            return self._send_simple(h, 404, b"not found\n", "text/plain")
        if entry.redirect is not None:
            to = entry.redirect if "://" in entry.redirect else self.url(entry.redirect)
            h.send_response(entry.status)
            h.send_header("Location", to)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if entry.status == 200 and self._not_modified(entry, ims, inm):
            with self._lock:
                self._count(path, "not_modified")
            h.send_response(304)
            h.send_header("ETag", entry.etag)
            h.send_header("Last-Modified", email.utils.formatdate(entry.last_modified, usegmt=True))
            h.end_headers()
            return
        body = entry.payload()
        with self._lock:
            self._count(path, "served")
        h.send_response(entry.status)
        h.send_header("Content-Type", entry.content_type)
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Last-Modified", email.utils.formatdate(entry.last_modified, usegmt=True))
        h.send_header("ETag", entry.etag)
        h.end_headers()
        if not head:
            h.wfile.write(body)

    @staticmethod
    def _not_modified(entry, ims, inm):
        if inm is not None:
            return inm.strip() == entry.etag
        if ims:
            try:
                t = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return t >= entry.last_modified
        return False

    @staticmethod
    def _send_simple(h, status, body, ctype):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _serve_fault(self, h, kind, entry):
        if kind == "500":
            return self._send_simple(h, 500, b"internal server error\n", "text/plain")
        if kind == "404":
            return self._send_simple(h, 404, b"not found\n", "text/plain")
        if kind == "html":
            return self._send_simple(h, 200, HTML_ERROR_PAGE, "text/html; charset=utf-8")
        if kind == "hang":
            self._closing.wait(self.hang_seconds)
            h.close_connection = True
            return
        if kind == "reset":
            # SO_LINGER with a zero timeout makes close() send a RST.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            h.connection.close()
            return
        body = entry.payload() if entry is not None and entry.redirect is None else b"x" * 1000
        if kind == "truncate":
            h.send_response(200)
            h.send_header("Content-Type", entry.content_type if entry else "text/plain")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        if kind == "slow":
            h.send_response(200)
            h.send_header("Content-Type", entry.content_type if entry else "text/plain")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            steps = 10
            step = max(1, len(body) // steps)
            for i in range(0, len(body), step):
                if self._closing.wait(self.slow_seconds / steps):
                    break
                try:
                    h.wfile.write(body[i:i + step])
                    h.wfile.flush()
                except OSError:
                    break
            h.close_connection = True
            return
