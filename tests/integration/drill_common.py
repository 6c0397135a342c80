"""What the drill tests (test_drill.py, test_drill_readings.py) share: the
`sonae` command with the demo's folder, JSON GETs with a staff session, and
the viewer account's login."""

import json
import os
import subprocess
import urllib.request

from sonaetest import SCALE, SOURCE, exe

SONAE = exe("sonae")
ENV = dict(os.environ, SONAE_COLLECTD_SECOND_MS="100", SONAE_DEMO_DIR=os.path.join(SOURCE, "demo"))
VIEWER = ("view1", "etsuran-pass-01")


def sonae(conf, *args):
    return subprocess.run([SONAE, "-c", conf, *args], capture_output=True, text=True, env=ENV,
                          timeout=60 * SCALE)


def add_viewer(conf):
    """The viewer account the staff endpoints are read with; the result of `sonae user add`."""
    return subprocess.run([SONAE, "-c", conf, "user", "add", VIEWER[0], "--role", "viewer"], input=VIEWER[1] + "\n",
                          capture_output=True, text=True, timeout=60 * SCALE)


def get(port, path, cookie=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def login(port):
    body = json.dumps({"name": VIEWER[0], "password": VIEWER[1]}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/login", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.headers["Set-Cookie"].split(";")[0]


def live_conf(port, rest):
    """A live system's config: its store, a portal on port, then rest."""
    return f"""[store]
path = sonae.db
[log]
level = info
[portal]
listen = 127.0.0.1:{port}
web_root = web
{rest}"""
