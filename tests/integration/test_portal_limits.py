"""Every wait has a deadline and the number of connections a cap:
[portal] timeout closes idle, half-sent and kept-alive connections, and
[portal] max_connections refuses connections beyond the limit while the
server keeps serving the ones it took.  A SIGHUP with new limits applies
them on the same port."""

import os
import select
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal, status_of, wait_log  # noqa: E402
from sonaetest import SCALE, check, done, rmtree  # noqa: E402


def closed_within(sock, seconds):
    """True when the server closes sock (EOF or reset) within the time."""
    sock.settimeout(seconds * SCALE)
    try:
        while True:
            b = sock.recv(4096)
            if not b:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


p = Portal(extra="[portal]\ntimeout = 1\n")
try:
    # An idle connection that never sends a byte.
    s = socket.create_connection(("127.0.0.1", p.port))
    t0 = time.monotonic()
    check(closed_within(s, 6), f"an idle connection is closed ({time.monotonic() - t0:.1f} s, timeout = 1)")
    s.close()
    # Half a request (slowloris).
    s = socket.create_connection(("127.0.0.1", p.port))
    s.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    check(closed_within(s, 6), "a half-sent request is closed")
    s.close()
    # A kept-alive connection after its answer.
    s = socket.create_connection(("127.0.0.1", p.port))
    s.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5 * SCALE)
    first = s.recv(65536)
    check(status_of(first) == 200, "the kept-alive connection got its answer")
    check(closed_within(s, 6), "and is closed once idle")
    s.close()
finally:
    p.stop()
    rmtree(p.dir)

def served_of(port, n):
    """Opens n connections at once, sends a request on each, and counts the
    answers that arrive within a few seconds (all waited for together)."""
    held = []
    for _ in range(n):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=2 * SCALE))
        except OSError:
            pass
    time.sleep(0.3 * SCALE)
    for s in held:
        try:
            s.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            pass
    got = {}
    end = time.monotonic() + 3 * SCALE
    while time.monotonic() < end:
        live = [s for s in held if s not in got]
        if not live:
            break
        r, _, _ = select.select(live, [], [], 0.2)
        for s in r:
            try:
                got[s] = s.recv(65536)
            except OSError:
                got[s] = b""
    for s in held:
        s.close()
    return sum(1 for b in got.values() if status_of(b) == 200)


# timeout is long here: no slot may free itself during the count.
p = Portal(extra="[portal]\nmax_connections = 10\ntimeout = 600\n")
try:
    served = served_of(p.port, 30)
    check(0 < served <= 10, f"with 30 connections open, {served} (at most 10) are served")
    time.sleep(0.5 * SCALE)
    st, _, _ = p.get("/api/v1/ping")
    check(st == 200, "once they close, new connections are served again")
    # New limits on SIGHUP, same port.
    with open(p.conf) as f:
        conf = f.read()
    with open(p.conf, "w") as f:
        f.write(conf.replace("max_connections = 10", "max_connections = 50"))
    p.daemon.signal(signal.SIGHUP)
    check(wait_log(p, "configuration reloaded"), "SIGHUP with new limits reloads")
    served = served_of(p.port, 30)
    check(served == 30, f"max_connections = 50: all 30 served ({served})")
    p.daemon.signal(signal.SIGTERM)
    check(p.daemon.wait(5) == 0, "clean exit")
finally:
    p.stop()
    rmtree(p.dir)
done("test_portal_limits")
