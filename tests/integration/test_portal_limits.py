"""Every wait has a deadline and the number of connections a cap:
[portal] timeout closes idle, half-sent and kept-alive connections, and
[portal] max_connections refuses connections beyond the limit while the
server keeps serving the ones it took.  A SIGHUP with new limits applies
them on the same port."""

import os
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

p = Portal(extra="[portal]\nmax_connections = 10\ntimeout = 20\n")
try:
    held = [socket.create_connection(("127.0.0.1", p.port)) for _ in range(30)]
    time.sleep(0.5 * SCALE)
    served = 0
    for s in held:
        try:
            s.settimeout(2 * SCALE)
            s.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n")
            if status_of(s.recv(65536)) == 200:
                served += 1
        except OSError:
            pass
    check(0 < served <= 10, f"with 30 connections open, {served} (at most 10) are served")
    for s in held:
        s.close()
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
    held = [socket.create_connection(("127.0.0.1", p.port)) for _ in range(30)]
    time.sleep(0.5 * SCALE)
    served = 0
    for s in held:
        try:
            s.settimeout(2 * SCALE)
            s.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n")
            if status_of(s.recv(65536)) == 200:
                served += 1
        except OSError:
            pass
    for s in held:
        s.close()
    check(served == 30, f"max_connections = 50: all 30 served ({served})")
    p.daemon.signal(signal.SIGTERM)
    check(p.daemon.wait(5) == 0, "clean exit")
finally:
    p.stop()
    rmtree(p.dir)
done("test_portal_limits")
