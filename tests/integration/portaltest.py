"""Starting sonae-portald for a test: a temporary folder with sonae.conf,
a web root and a free port on 127.0.0.1 (standard library only)."""

import http.client
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from sonaetest import SCALE, Daemon, free_port, tmpdir, wait_for  # noqa: E402


def write_conf(d, port, web_root="web", max_body=None, extra="", store="path = sonae.db"):
    """store: the [store] section's lines (another folder's file for
    several portals on one store)."""
    conf = os.path.join(d, "sonae.conf")
    lines = [
        "[store]",
        store,
        "[log]",
        "level = info",
        "[portal]",
        f"listen = 127.0.0.1:{port}",
        f"web_root = {web_root}",
    ]
    if max_body is not None:
        lines.append(f"max_body = {max_body}")
    with open(conf, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n" + extra)
    return conf


class Portal:
    """sonae-portald on a free port; .conn() gives a keep-alive connection."""

    def __init__(self, d=None, max_body=None, extra="", store="path = sonae.db"):
        self.dir = d or tmpdir("sonae-portal-")
        os.makedirs(os.path.join(self.dir, "web"), exist_ok=True)
        self.port = free_port()
        self.conf = write_conf(self.dir, self.port, max_body=max_body, extra=extra, store=store)
        self.daemon = Daemon("sonae-portald", ["-c", self.conf])
        if not wait_for(self.ready, 10):
            out = self.daemon.output()
            self.daemon.stop()
            raise RuntimeError("sonae-portald did not start:\n" + out)

    def ready(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return self.daemon.proc.poll() is not None and False

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, headers=None, method="GET", body=None):
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        finally:
            c.close()

    def raw(self, request_bytes, timeout=5):
        """Sends bytes as they are (for paths http.client would normalise)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(request_bytes)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    break
                if not b:
                    break
                chunks.append(b)
                data = b"".join(chunks)
                if b"\r\n\r\n" in data:
                    head, _, body = data.partition(b"\r\n\r\n")
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            if len(body) >= int(line.split(b":")[1]):
                                return data
            return b"".join(chunks)
        finally:
            s.close()

    def head(self, request_bytes, timeout=5):
        """Sends bytes and returns only the status line and headers (for
        streams, whose answer never ends)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(request_bytes)
            data = b""
            while b"\r\n\r\n" not in data:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            return data
        finally:
            s.close()

    def log(self):
        return self.daemon.output()

    def stop(self):
        self.daemon.stop()


def status_of(raw):
    try:
        return int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def wait_log(portal, text, timeout=5):
    return wait_for(lambda: text in portal.log(), timeout)


def sleep_scaled(s):
    from sonaetest import SCALE
    time.sleep(s * SCALE)


class SSE:
    """A minimal EventSource over a raw socket (chunked transfer); headers
    are extra header lines, each ending in CRLF."""

    def __init__(self, port, last_id=None, headers=""):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10 * SCALE)
        h = f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
        if last_id is not None:
            h += f"Last-Event-ID: {last_id}\r\n"
        self.s.sendall((h + headers + "\r\n").encode())
        self.raw = b""
        while b"\r\n\r\n" not in self.raw:
            self.raw += self.s.recv(65536)
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1])
        self.text = b""
        self.events = []

    def _dechunk(self):
        while True:
            line, sep, rest = self.raw.partition(b"\r\n")
            if not sep:
                return
            size = int(line.split(b";")[0], 16)
            if len(rest) < size + 2:
                return
            self.text += rest[:size]
            self.raw = rest[size + 2:]

    def read_until(self, pred, timeout):
        end = time.monotonic() + timeout * SCALE
        while not pred(self.events) and time.monotonic() < end:
            self.s.settimeout(max(0.05, end - time.monotonic()))
            try:
                b = self.s.recv(1 << 16)
            except socket.timeout:
                break
            if not b:
                break
            self.raw += b
            self._dechunk()
            while b"\n\n" in self.text:
                block, _, self.text = self.text.partition(b"\n\n")
                ev = {}
                for line in block.decode().split("\n"):
                    k, _, v = line.partition(": ")
                    if k in ("id", "event", "data"):
                        ev[k] = v
                if "id" in ev:
                    ev["id"] = int(ev["id"])
                    ev["data"] = json.loads(ev["data"])
                    self.events.append(ev)
        return pred(self.events)

    def close(self):
        self.s.close()


def pg_city(pg, d, db="city"):
    """A store database on a PgServer: made from the template and migrated
    with `sonae db migrate`; True when that worked."""
    import subprocess
    from sonaetest import exe
    pg.psql(f"CREATE DATABASE {db} TEMPLATE sonae_template", db="postgres")
    conf = os.path.join(d, f"migrate-{db}.conf")
    with open(conf, "w") as f:
        f.write(f"[store]\nbackend = postgis\ndsn = {pg.dsn(db)}\n")
    r = subprocess.run([exe("sonae"), "-c", conf, "db", "migrate"], capture_output=True,
                       timeout=120)
    return r.returncode == 0


def pg_station(pg, source, ext, name, lon, db="city"):
    """A gauge written straight into a PostGIS store; returns its id."""
    return pg.psql("INSERT INTO stations (kind, source, external_id, name, expected_interval_s, "
                   f"lon, lat, created_at, updated_at, geom) VALUES ('gauge', '{source}', "
                   f"'{ext}', '{name}', 600, {lon}, 38.7, 1, 1, ST_SetSRID(ST_MakePoint({lon}, "
                   "38.7), 6668)) RETURNING id", db=db)
