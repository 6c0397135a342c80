"""A real sensor network for tests: a test CA (openssl), a Mosquitto broker
on 127.0.0.1 with the configuration of sensors/broker_conf.py, a Sonae
config and store, devices added with `sonae device add`, sonae-ingestd, and
publishers that speak the node's protocol (docs/protocol.md).

Used by the ingest tests and by the node end-to-end tests.  Standard
library, plus Debian's python3-paho-mqtt for the MQTT clients."""

import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from sonaetest import SCALE, SOURCE, Daemon, exe, free_port, rmtree, tmpdir, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from throwaway import port_open  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "broker_conf", os.path.join(SOURCE, "sensors", "broker_conf.py"))
broker_conf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(broker_conf)

INGEST_USER = "sonae-ingestd"
READER_USER = "monitor"


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def make_ca(d):
    """A test CA and a server certificate for 127.0.0.1/localhost."""
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, crt = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    steps = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
         "-days", "2", "-subj", "/CN=Sonae test CA"],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", crt, "-days", "2", "-extfile", ext],
    ]
    for s in steps:
        r = run(s)
        if r.returncode != 0:
            raise RuntimeError(f"openssl failed: {r.stderr}")
    return ca, crt, key


class Net:
    """One broker, one store, one config; devices and ingestd on demand."""

    def __init__(self, tls=True, store="path = sonae.db", broker=None):
        """store: the [store] section's lines (a PostGIS dsn for the
        PostGIS tests, whose queries go through psql instead).
        broker: (port, user, password) of another broker already running
        on 127.0.0.1 (the RabbitMQ tests), which sonae-ingestd then uses
        with that user; the Mosquitto files are written but not used."""
        self.store = store
        self.ingest_user = broker[1] if broker else INGEST_USER
        self.dir = tmpdir("sonae-net-")
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        if tls:
            self.ca, self.crt, self.key = make_ca(self.dir)
        else:
            self.ca = self.crt = self.key = None
        self.bdir = os.path.join(self.dir, "mosquitto")
        self.conf = broker_conf.write_broker_config(
            self.bdir, port=self.port, tls_port=self.tls_port, cafile=self.ca, certfile=self.crt,
            keyfile=self.key, ingest_user=INGEST_USER, readers=[READER_USER],
            run_as=_user_name())
        self.secrets = {}
        for user in (INGEST_USER, READER_USER):
            pw = f"{user}-secret"
            self.secrets[user] = pw
            r = run(["mosquitto_passwd", "-b", os.path.join(self.bdir, "passwd"), user, pw])
            if r.returncode != 0:
                raise RuntimeError(r.stderr)
        if broker:
            self.port = broker[0]
            self.secrets[broker[1]] = broker[2]
        with open(os.path.join(self.dir, "ingest.pw"), "w") as f:
            f.write(self.secrets[self.ingest_user] + "\n")
        self.db = os.path.join(self.dir, "sonae.db")
        self.config = os.path.join(self.dir, "sonae.conf")
        self.write_config(tls=tls)
        self.broker = None
        self.broker_log = None
        self.ingestd = None

    def write_config(self, tls, extra=""):
        with open(self.config, "w") as f:
            f.write(f"""[store]
{self.store}
[log]
level = info
[mqtt]
host = 127.0.0.1
port = {self.tls_port if tls else self.port}
username = {self.ingest_user}
password_file = ingest.pw
{"tls_ca = " + self.ca if tls else ""}
broker_password_file = mosquitto/passwd
broker_acl_file = mosquitto/acl
provision_dir = devices
node_host = 127.0.0.1
node_port = {self.tls_port or self.port}
gap_alert = 60
{extra}
""")

    # ---- broker ----
    def start_broker(self):
        self.broker_log = open(os.path.join(self.dir, "mosquitto.log"), "ab")
        self.broker = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=self.broker_log,
                                       stderr=subprocess.STDOUT)
        ok = wait_for(lambda: port_open(self.port), 10)
        if not ok:
            raise RuntimeError("mosquitto did not start: " + self.broker_output())

    def broker_output(self):
        with open(os.path.join(self.dir, "mosquitto.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def reload_broker(self):
        self.broker.send_signal(signal.SIGHUP)
        time.sleep(0.3)

    def stop_broker(self, sig=signal.SIGTERM):
        if self.broker is None:
            return
        if self.broker.poll() is None:
            self.broker.send_signal(sig)
            try:
                self.broker.wait(10 * SCALE)
            except subprocess.TimeoutExpired:
                self.broker.kill()
                self.broker.wait()
        self.broker = None
        if self.broker_log:
            self.broker_log.close()
            self.broker_log = None
        wait_for(lambda: not port_open(self.port), 5)

    # ---- sonae ----
    def sonae(self, *args):
        return run([exe("sonae"), "-c", self.config] + list(args))

    def add_device(self, dev, station, mount, lon=139.83, lat=38.73, interval=600):
        r = self.sonae("device", "add", dev, "--station", station, "--mount-height", str(mount),
                       "--lon", str(lon), "--lat", str(lat), "--interval", str(interval))
        if r.returncode != 0:
            raise RuntimeError(f"sonae device add {dev}: {r.stderr}")
        return self.provisioning(dev)

    def provisioning(self, dev):
        out = {}
        with open(os.path.join(self.dir, "devices", f"{dev}.conf")) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    k, v = line.split("=", 1)
                    out[k] = v
        return out

    def start_ingestd(self):
        self.ingestd = Daemon("sonae-ingestd", ["-c", self.config])
        return self.ingestd

    def instance_config(self, index, count, extra=""):
        """A config file beside the main one for ingest instance index of
        count (the same store, broker and user); returns its path."""
        path = os.path.join(self.dir, f"sonae-{index}.conf")
        with open(self.config) as f:
            text = f.read()
        text = text.replace("[mqtt]\n", f"[mqtt]\ninstance_index = {index}\n"
                            f"instance_count = {count}\n{extra}", 1)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_instance(self, index, count):
        """Ingest instance index of count, a daemon of its own (the caller
        stops it)."""
        return Daemon("sonae-ingestd", ["-c", self.instance_config(index, count)])

    def stop_ingestd(self):
        out = ""
        if self.ingestd:
            self.ingestd.signal(signal.SIGTERM)
            self.ingestd.wait(10)
            out = self.ingestd.output()
            self.ingestd.stop()
            self.ingestd = None
        return out

    def kill_ingestd(self):
        self.ingestd.proc.kill()
        self.ingestd.proc.wait()
        out = self.ingestd.output()
        self.ingestd.stop()
        self.ingestd = None
        return out

    def close(self):
        self.stop_ingestd()
        self.stop_broker()
        rmtree(self.dir)

    # ---- the store, read with SQLite (WAL allows a reader beside ingestd) ----
    def query(self, sql, args=()):
        c = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def count_readings(self, dev=None):
        if dev is None:
            return self.query("SELECT count(*) FROM readings")[0][0]
        return self.query("SELECT count(*) FROM readings JOIN devices d ON d.id = device_id "
                          "WHERE d.device = ?", (dev,))[0][0]


def _user_name():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def device_hash(dev):
    """FNV-1a, 32 bits, over the device id's bytes: what sonae-ingestd
    partitions devices across instances by (sensors/ingest.h)."""
    h = 2166136261
    for b in dev.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def instance_of(dev, count):
    return device_hash(dev) % count


def fmt(v):
    """Numbers as the node writes them: integers bare, else up to 6 decimals."""
    if isinstance(v, int):
        return str(v)
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def pack(dev, epoch, readings):
    """A SenML pack as the node encodes it (firmware/core/senml.h).
    readings: dicts with t, seq and any of dist, level, temp, batt, rssi."""
    bt = readings[0]["t"]
    recs = [f'{{"bn":"urn:dev:sonae:{dev}:","bt":{bt},"n":"epoch","v":{epoch}}}']
    units = {"dist": "m", "level": "m", "temp": "Cel", "batt": "V", "rssi": "dBm"}
    for r in readings:
        t = r["t"] - bt
        recs.append(f'{{"n":"seq","t":{t},"v":{r["seq"]}}}')
        for k in ("dist", "level", "temp", "batt", "rssi"):
            if k in r:
                recs.append(f'{{"n":"{k}","u":"{units[k]}","t":{t},"v":{fmt(r[k])}}}')
    return "[" + ",".join(recs) + "]"


def mqtt_client(net, user, password, client_id=None, v5=False, tls=False, clean=True):
    """A connected paho client with its network loop running."""
    import paho.mqtt.client as mqtt
    proto = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
    if v5:
        c = mqtt.Client(client_id=client_id or "", protocol=proto)
    else:
        c = mqtt.Client(client_id=client_id or "", clean_session=clean, protocol=proto)
    c.username_pw_set(user, password)
    if tls:
        c.tls_set(ca_certs=net.ca)
    c.max_inflight_messages_set(200)
    c.max_queued_messages_set(0)
    connected = []
    c.on_connect = lambda cl, ud, fl, rc, props=None: connected.append(rc)
    c.connect("127.0.0.1", net.tls_port if tls else net.port, keepalive=30)
    c.loop_start()
    if not wait_for(lambda: connected, 10):
        raise RuntimeError(f"{user} could not connect")
    if connected[0] != 0:
        c.loop_stop()
        raise RuntimeError(f"{user} refused: {connected[0]}")
    return c


def node_client(net, dev, tls=False):
    prov = net.provisioning(dev)
    return mqtt_client(net, prov["username"], prov["password"], client_id=f"node-{dev}", tls=tls)


def publish_all(client, items, timeout=60):
    """Publishes (topic, payload) at QoS 1 and waits for every PUBACK."""
    infos = [client.publish(t, p, qos=1) for t, p in items]
    end = time.monotonic() + timeout * SCALE
    for i in infos:
        while not i.is_published():
            if time.monotonic() > end:
                raise RuntimeError("PUBACKs did not arrive")
            time.sleep(0.005)
    return infos


def up(dev):
    return f"sonae/v1/nodes/{dev}/up"


def down(dev):
    return f"sonae/v1/nodes/{dev}/down"
