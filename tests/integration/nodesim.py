"""Host-port nodes for the end-to-end tests: sonae-node-sim processes
(firmware/ports/host) provisioned with the files `sonae device add`
writes, a monitor that reads what they publish, and a TCP proxy between a
node and the broker that can cut a PUBLISH in half or hold back a PUBACK.

Every node interval here is the node's own setting, carried by the
provisioning file (measure_s=1 ...): the processes run on the real clock."""

import json
import os
import signal
import socket
import subprocess
import threading
import time

from sonaetest import BUILD, SCALE, wait_for
from sensornet import READER_USER, mqtt_client

SIM = os.path.join(BUILD, "firmware", "ports", "host", "sonae-node-sim")


class Node:
    """One sonae-node-sim process; restartable on the same state folder."""

    def __init__(self, net, dev, scenario, settings, port=None):
        self.net, self.dev = net, dev
        self.dir = os.path.join(net.dir, "node-" + dev)
        os.makedirs(self.dir, exist_ok=True)
        self.prov = os.path.join(self.dir, "prov.conf")
        with open(os.path.join(net.dir, "devices", f"{dev}.conf")) as f:
            text = f.read()
        with open(self.prov, "w") as f:
            f.write(text + "".join(f"{k}={v}\n" for k, v in settings.items()))
        self.scenario = os.path.join(self.dir, "node.scenario")
        with open(self.scenario, "w") as f:
            f.write(scenario)
        self.port = port or net.port
        self.log = os.path.join(self.dir, "node.log")
        self.proc = None
        self.runs = 0

    def start(self):
        self.runs += 1
        lf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [SIM, "--provision", self.prov, "--scenario", self.scenario,
             "--state", os.path.join(self.dir, "state"), "--broker", f"127.0.0.1:{self.port}"],
            stdout=lf, stderr=subprocess.STDOUT)
        lf.close()
        return self

    def output(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10 * SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None


class Monitor:
    """Reads a device's up, status and down with the monitor account."""

    def __init__(self, net, dev):
        self.dev = dev
        self.packs = []    # (arrival, decoded pack)
        self.status = []
        self.downs = []
        self.lock = threading.Lock()
        self.c = mqtt_client(net, READER_USER, net.secrets[READER_USER],
                             client_id=f"mon-{dev}")
        self.c.on_message = self.on_message
        base = f"sonae/v1/nodes/{dev}/"
        self.topics = [(base + "up", 1), (base + "status", 1), (base + "down", 1)]
        # Subscribed again on every reconnection (a restarted broker).
        self.c.on_connect = lambda c, u, f, rc, p=None: c.subscribe(self.topics)
        self.c.subscribe(self.topics)
        time.sleep(0.2)

    def on_message(self, c, u, m):
        with self.lock:
            body = json.loads(m.payload) if m.payload else None
            if m.topic.endswith("/up"):
                self.packs.append((time.monotonic(), body))
            elif m.topic.endswith("/status"):
                self.status.append(body)
            else:
                self.downs.append(body)

    def readings(self, after=0):
        """(epoch, seq) of every reading on the wire, in arrival order."""
        out = []
        with self.lock:
            for t, p in self.packs:
                if t < after:
                    continue
                epoch = next(r["v"] for r in p if r.get("n") == "epoch")
                out += [(epoch, r["v"]) for r in p if r.get("n") == "seq"]
        return out

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def mqtt_frames(buf):
    """Splits whole MQTT packets off buf: ([(type, bytes)], rest)."""
    out = []
    while len(buf) >= 2:
        mul, length, i = 1, 0, 1
        while True:
            if i >= len(buf):
                return out, buf
            b = buf[i]
            length += (b & 127) * mul
            mul *= 128
            i += 1
            if not b & 128:
                break
        if len(buf) < i + length:
            return out, buf
        out.append((buf[0] >> 4, buf[:i + length]))
        buf = buf[i + length:]
    return out, buf


PUBLISH, PUBACK = 3, 4


class Proxy:
    """node -> 127.0.0.1:listen -> broker.  Modes:
    'pass'       forwards everything;
    'cut'        at the next PUBLISH on .../up forwards half of it, then
                 nothing more in either direction (event `cut`);
    'hold_ack'   forwards the next PUBLISH on up whole but keeps the
                 broker's PUBACK from the node (event `held`), then
                 nothing more to the node;
    on_puback    called when a PUBACK of an up PUBLISH passes to the node."""

    def __init__(self, broker_port):
        self.broker_port = broker_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.mode = "pass"
        self.cut = threading.Event()
        self.held = threading.Event()
        self.on_puback = None
        self.up_ids = set()
        self.stopped = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(("127.0.0.1", self.broker_port), timeout=5)
            except OSError:
                c.close()
                continue
            b.settimeout(None)
            state = {"dead": False, "mute_down": False}
            threading.Thread(target=self.up_pump, args=(c, b, state), daemon=True).start()
            threading.Thread(target=self.down_pump, args=(b, c, state), daemon=True).start()

    def up_pump(self, c, b, st):
        buf = b""
        try:
            while not st["dead"]:
                d = c.recv(65536)
                if not d:
                    break
                frames, buf = mqtt_frames(buf + d)
                for typ, fr in frames:
                    is_up = False
                    if typ == PUBLISH:
                        tl = int.from_bytes(fr[self.hdr(fr):self.hdr(fr) + 2], "big")
                        topic = fr[self.hdr(fr) + 2:self.hdr(fr) + 2 + tl]
                        is_up = topic.endswith(b"/up")
                        if is_up:
                            pid = int.from_bytes(fr[self.hdr(fr) + 2 + tl:self.hdr(fr) + 4 + tl],
                                                 "big")
                            self.up_ids.add(pid)
                    if is_up and self.mode == "cut":
                        b.sendall(fr[:len(fr) // 2])
                        st["dead"] = True
                        self.mode = "pass"
                        self.cut.set()
                        return
                    if is_up and self.mode == "hold_ack":
                        st["mute_down"] = True
                        self.mode = "pass"
                    b.sendall(fr)
        except OSError:
            pass
        finally:
            if not st["dead"]:
                self.close_pair(c, b)

    def down_pump(self, b, c, st):
        buf = b""
        try:
            while not st["dead"]:
                d = b.recv(65536)
                if not d:
                    break
                frames, buf = mqtt_frames(buf + d)
                for typ, fr in frames:
                    if typ == PUBACK:
                        pid = int.from_bytes(fr[2:4], "big")
                        if st["mute_down"] and pid in self.up_ids:
                            self.held.set()
                            continue
                        if pid in self.up_ids and self.on_puback:
                            self.on_puback()
                    if not st["mute_down"]:
                        c.sendall(fr)
        except OSError:
            pass
        finally:
            self.close_pair(c, b)

    @staticmethod
    def hdr(fr):
        i = 1
        while fr[i] & 128:
            i += 1
        return i + 1

    @staticmethod
    def close_pair(c, b):
        for s in (c, b):
            try:
                s.close()
            except OSError:
                pass

    def close(self):
        self.stopped = True
        self.sock.close()


def measured(node):
    """(epoch, seq) of every reading the node logged as queued in NVM."""
    import re
    log = node.output()
    out = [(int(e), int(s)) for e, s in re.findall(r"queued epoch (\d+) seq (\d+)", log)]
    # Stopped (SIGTERM) with readings still waiting for their heartbeat:
    # those are in NVM, not yet sent.
    m = re.search(r"stopped, (\d+) queued\s*$", log)
    if m and int(m.group(1)):
        out = out[:-int(m.group(1))]
    return out


def stored(net, dev):
    """(epoch, seq) of the device's readings in the store."""
    return net.query("SELECT epoch, seq FROM readings r JOIN devices dv ON dv.id = r.device_id "
                     "WHERE dv.device = ? ORDER BY epoch, seq", (dev,))


def holes(pairs):
    """Seqs missing inside each epoch's run (a run starts at 0)."""
    by = {}
    for e, s in pairs:
        by.setdefault(e, set()).add(s)
    return {e: sorted(set(range(max(v) + 1)) - v) for e, v in by.items()
            if set(range(max(v) + 1)) - v}


class Rig:
    """The nodes, monitors and proxies of one test, closed together."""

    def __init__(self, net):
        self.net = net
        self.nodes, self.mons, self.proxies = [], [], []

    def add(self, dev, scenario, settings, proxy=False):
        """A monitor, optionally a proxy, and a started node: (node, mon, proxy)."""
        px = Proxy(self.net.port) if proxy else None
        if px:
            self.proxies.append(px)
        mon = Monitor(self.net, dev)
        self.mons.append(mon)
        node = Node(self.net, dev, scenario, settings, port=px.port if px else None).start()
        self.nodes.append(node)
        return node, mon, px

    def dump(self):
        for n in self.nodes:
            print(n.output()[-2500:])

    def close(self):
        for n in self.nodes:
            n.kill()
        for m in self.mons:
            m.close()
        for p in self.proxies:
            p.close()
        self.net.close()
