"""The notifier's test driver (tests/notify/notify_drive.c) as the Python
tests use it: one command a line in, one answer a line out."""

import http.server
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from sonaetest import BUILD, SCALE  # noqa: E402


class Driver:
    def __init__(self, conf):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([os.path.join(BUILD, "tests", "notify-drive"), conf],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)

    def cmd(self, line):
        """One command; a missing or "error" answer fails the test."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline().strip()
        if not out or out.startswith("error"):
            print(f"FAIL: driver: {line!r} -> {out}", flush=True)
            self.proc.kill()
            sys.exit(1)
        return out

    def step(self, t):
        """Scan and deliver at t: {"queued": Q, "sent": S, "failed": F}."""
        out = self.cmd(f"step {t}").split()
        return {out[i]: int(out[i + 1]) for i in range(0, len(out), 2)}

    def log(self):
        """What the engine logged so far (also echoed by close())."""
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def close(self):
        """Ends the driver and prints its log; its exit code."""
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=30 * SCALE)
        sys.stdout.write(self.log())
        return rc


class Quiet(http.server.BaseHTTPRequestHandler):
    """A local peer's handler that logs nothing; reply(code) answers with no
    body."""

    def reply(self, code):
        self.send_response(code)
        self.end_headers()

    def log_message(self, *a):
        pass


def serve(handler):
    """A threaded HTTP server on a free loopback port: (server, base URL)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
