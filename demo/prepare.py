#!/usr/bin/python3
"""Prepares (once) and checks (every time) a demo data directory:

    demo/prepare.py --dir .run --build build [--speed 60]

On the first run: free ports for the portal, the broker and the replay
server; `sonae init`; the demo config (sonae.conf: [jma] exercise = true and
enabled against the replay server, river, rain and camera sources polled
every 10 s, the broker on loopback); generated credentials (the broker's
password for sonae-ingestd, the demo staff account's password); the
Mosquitto configuration and ACL (sensors/broker_conf.py); `sonae db
migrate`; the demo layers imported; the staff account `demo` (editor).
On later runs the same directory is reused: nothing is regenerated, only
migrations are applied.  Prints KEY=VALUE lines for run.sh (ports, paths)."""

import argparse
import getpass
import os
import secrets
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import city  # noqa: E402

LAYERS = os.path.join(HERE, "layers")


def free_port(preferred):
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def run(args, stdin=None, check=True):
    r = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.stderr.write(f"prepare: {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
        sys.exit(1)
    return r


def read_kv(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v
    return out


def config_text(ports, speed, web_root):
    # Sources poll every 10 s (the config's minimum): with speed 60 that is
    # the national sites' 10 minutes of story.
    r = f"http://127.0.0.1:{ports['REPLAY_PORT']}"
    g = city.GAUGE
    return f"""# Sonae demo configuration (written by demo/prepare.py; the city is fictional).
# Every source reads the local replay server (demo/replay.py), never the real sites.
[store]
path = data/sonae.db
[data]
dir = data
[log]
level = warning
[portal]
listen = 127.0.0.1:{ports['PORTAL_PORT']}
web_root = {web_root}
[mqtt]
host = 127.0.0.1
port = {ports['MQTT_PORT']}
username = sonae-ingestd
password_file = secrets/mqtt-ingestd.txt
node_host = 127.0.0.1
node_port = {ports['MQTT_PORT']}
broker_password_file = mosquitto/passwd
broker_acl_file = mosquitto/acl
provision_dir = devices
gap_alert = 120
[jma]
enabled = true
exercise = true
base_url = {r}/jma/
feeds = extra
offices = {city.OFFICE}
national = false
interval = 10
[demo]
speed = {speed:g}
# Everything here is fictional: every event is marked exercise (訓練).
all_exercise = true

[source.kawabou-demo]
type = kawabou
interval = 10
url = {r}/kawabou/gauges.json
expected_interval = 60

[source.kriver-demo]
type = kriver
interval = 10
url = {r}/kriver/06.json
towns = {city.TOWN_CODE}
expected_interval = 60

[source.amedas-demo]
type = amedas
interval = 10
url = {r}/amedas/data/map/
stations = {city.AMEDAS['id']}
expected_interval = 60

[source.{city.CAMERA['id']}]
type = camera
interval = 10
image_url = {r}/camera/{city.CAMERA['id']}.jpg
name = {city.CAMERA['name']}
river = {city.RIVER}
lat = {city.CAMERA['lat']}
lon = {city.CAMERA['lon']}
gauge = kawabou-demo:{g['id']}
stale_after = 60
frozen_after = 0

# Two webhook channels on the replay server: the drill's messages must
# reach only the one marked exercise (docs/notifications.md).
[notify.demo-exercise]
type = webhook
exercise = true

[notify.demo-real]
type = webhook
exercise = false
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--any-port", action="store_true", help="take free ports, not 8080/1883/8090")
    ap.add_argument("--web-root", default=os.path.join(ROOT, "portal", "web", "dist"))
    args = ap.parse_args()
    d = os.path.abspath(args.dir)
    sonae = os.path.join(args.build, "cli", "sonae")
    conf = os.path.join(d, "sonae.conf")
    ports_file = os.path.join(d, "ports.env")
    fresh = not os.path.exists(ports_file)
    if fresh:
        os.makedirs(d, exist_ok=True)
        if os.path.exists(conf):
            # A folder from before the demo (an empty store's config): kept aside.
            os.replace(conf, conf + ".before-demo")
            print(f"prepare: {conf} is not a demo config; kept as sonae.conf.before-demo",
                  file=sys.stderr)
        run([sonae, "init", d])
        pref = (0, 0, 0) if args.any_port else (8080, 1883, 8090)
        ports = {"PORTAL_PORT": free_port(pref[0]), "MQTT_PORT": free_port(pref[1]),
                 "REPLAY_PORT": free_port(pref[2])}
        with open(ports_file, "w") as f:
            for k, v in ports.items():
                f.write(f"{k}={v}\n")
        web_root = os.path.relpath(args.web_root, d)
        with open(conf, "w", encoding="utf-8") as f:
            f.write(config_text(ports, args.speed, web_root))
        os.makedirs(os.path.join(d, "secrets"), mode=0o700, exist_ok=True)
        for name in ("mqtt-ingestd.txt", "demo-staff.txt"):
            p = os.path.join(d, "secrets", name)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(18) + "\n")
        mdir = os.path.join(d, "mosquitto")
        run([sys.executable, os.path.join(ROOT, "sensors", "broker_conf.py"), "--dir", mdir,
             "--port", str(ports["MQTT_PORT"]), "--tls-port", "0", "--bind", "127.0.0.1",
             "--ingest-user", "sonae-ingestd", "--run-as", getpass.getuser()])
        with open(os.path.join(d, "secrets", "mqtt-ingestd.txt")) as f:
            pw = f.read().strip()
        run(["mosquitto_passwd", "-b", os.path.join(mdir, "passwd"), "sonae-ingestd", pw])
    ports = read_kv(ports_file)
    run([sonae, "-c", conf, "db", "migrate"])
    marker = os.path.join(d, "data", ".demo-layers")
    if not os.path.exists(marker):
        steps = [("areas", "boundary.geojson"), ("districts", "districts.geojson"),
                 ("addresses", "addresses.csv"), ("shelters", "shelters.geojson"),
                 ("hazard", "flood.geojson"), ("hazard", "landslide.geojson")]
        # Roads (for the way to a shelter) once `sonae import roads` exists.
        usage = run([sonae, "import"], check=False)
        if "roads" in usage.stderr + usage.stdout:
            steps.append(("roads", "roads.geojson"))
        # River lines (the map's "rivers" tiles) once `sonae import rivers` exists.
        if "rivers" in usage.stderr + usage.stdout:
            steps.append(("rivers", "rivers.geojson"))
        for kind, name in steps:
            run([sonae, "-c", conf, "import", kind, os.path.join(LAYERS, name)])
        with open(os.path.join(d, "secrets", "demo-staff.txt")) as f:
            pw = f.read().strip()
        r = run([sonae, "-c", conf, "user", "add", "demo", "--role", "editor"], stdin=pw + "\n",
                check=False)
        if r.returncode != 0 and "exists" not in r.stderr:
            sys.stderr.write(r.stderr)
            sys.exit(1)
        # Rules for the two channels: every default event type from level 3
        # up, to the replay server's sink.
        sink = f"http://127.0.0.1:{ports['REPLAY_PORT']}/notify/"
        for channel, name in (("demo-exercise", "exercise"), ("demo-real", "real")):
            run([sonae, "-c", conf, "notify", "add", channel, sink + name, "--min-level", "3"])
        with open(marker, "w") as f:
            f.write("demo layers imported\n")
    for k, v in ports.items():
        print(f"{k}={v}")
    print(f"CONF={conf}")
    print(f"FRESH={1 if fresh else 0}")


if __name__ == "__main__":
    main()
