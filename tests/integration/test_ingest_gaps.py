"""Gaps and resend through a real Mosquitto: the broker is killed with
SIGKILL while messages for sonae-ingestd are still only in its memory, so
they are lost; the node's next readings show a jump in seq, ingestd records
the gap and writes `resend {id, epoch, from, to}` into the node's retained
`down`; a test publisher answering like a node (each id served once)
sends the missing readings, the gap closes and `down` is cleared."""

import json
import signal
import threading
import time

from sonaetest import SCALE, check, done, wait_for
from sensornet import Net, mqtt_client, pack, up, down

DEV = "gap-01"
T0 = int(time.time()) - 2 * 86400


class Node:
    """Publishes readings and serves resend requests as docs/protocol.md says."""

    def __init__(self, net):
        self.net = net
        self.seq = 0
        self.sent = {}       # seq -> reading, what the node keeps for resends
        self.answering = False
        self.served = []     # resend ids served
        self.seen_ids = []   # every resend id seen on down
        self.downs = []
        self.pending = None
        self.lock = threading.Lock()
        self.c = None
        self.connect()

    def connect(self):
        if self.c:
            self.c.loop_stop()
            self.c.disconnect()
        prov = self.net.provisioning(DEV)
        self.c = mqtt_client(self.net, DEV, prov["password"], client_id=f"node-{DEV}")
        self.c.on_message = self.on_down
        self.c.subscribe(down(DEV), qos=1)

    def on_down(self, c, u, m):
        msg = json.loads(m.payload or b"{}")
        with self.lock:
            self.downs.append(msg)
            rs = msg.get("resend")
            if rs:
                self.seen_ids.append(rs["id"])
                if rs["id"] not in self.served:
                    self.pending = rs
        self.serve()

    def serve(self):
        with self.lock:
            rs = self.pending if self.answering else None
            if not rs or rs["id"] in self.served:
                return
            self.served.append(rs["id"])
            self.pending = None
        seqs = [s for s in range(rs["from"], rs["to"] + 1) if s in self.sent]
        for i in range(0, len(seqs), 48):
            rd = [self.sent[s] for s in seqs[i:i + 48]]
            self.c.publish(up(DEV), pack(DEV, rs.get("epoch", 1), rd), qos=1)

    def publish(self, n, per=4):
        infos = []
        for _ in range(0, n, per):
            rd = []
            for _ in range(per):
                r = {"t": T0 + 60 * self.seq, "seq": self.seq, "dist": 1.5}
                self.sent[self.seq] = r
                rd.append(r)
                self.seq += 1
            infos.append(self.c.publish(up(DEV), pack(DEV, 1, rd), qos=1))
        ok = wait_for(lambda: all(i.is_published() for i in infos), 30)
        check(ok, f"the broker acknowledged {len(infos)} packs")


net = Net(tls=False)
try:
    net.start_broker()
    net.add_device(DEV, "st-gap", 4.0, interval=60)
    net.reload_broker()
    d = net.start_ingestd()
    check(wait_for(lambda: "connected to the broker" in d.output(), 10), "ingestd connected")
    node = Node(net)
    node.publish(100)
    check(wait_for(lambda: net.count_readings(DEV) == 100, 20), "the first 100 readings stored")

    # Kill the broker with messages only in its memory; the autosave may have
    # caught some, so try up to three times until some are lost.
    lost = False
    for attempt in range(3):
        d.signal(signal.SIGSTOP)
        node.publish(200)
        net.stop_broker(signal.SIGKILL)
        connects = d.output().count("connected to the broker")
        d.signal(signal.SIGCONT)
        net.start_broker()
        # The broker may have lost even ingestd's session (saved at most a
        # second ago); its new subscription must be there before the node
        # publishes again, as it is in the field.
        check(wait_for(lambda: d.output().count("connected to the broker") > connects, 40),
              "ingestd reconnects to the restarted broker")
        time.sleep(0.2)
        node.connect()
        node.publish(8)
        last = node.seq - 1
        ok = wait_for(lambda: net.query(
            "SELECT count(*) FROM readings WHERE seq = ?", (last,))[0][0] == 1, 30)
        check(ok, "after the broker's restart ingestd reconnects and gets new readings")
        time.sleep(0.5)
        if net.count_readings(DEV) < node.seq:
            lost = True
            break
    check(lost, "a broker SIGKILL lost messages (as it may: they were only in memory)")

    gaps = net.query("SELECT from_seq, to_seq FROM reading_gaps WHERE closed_at IS NULL")
    have = {s for (s,) in net.query("SELECT seq FROM readings")}
    missing = sorted(set(range(node.seq)) - have)
    check(len(gaps) >= 1, f"the jump in seq is recorded as a gap {gaps}")
    check(set(missing) <= {s for a, b in gaps for s in range(a, b + 1)},
          "every missing seq lies in an open gap")
    check(wait_for(lambda: any("resend" in m for m in node.downs), 10),
          "a resend request reaches the node on its retained down")
    rs = [m["resend"] for m in node.downs if "resend" in m][-1]
    check(rs["from"] == gaps[0][0] and rs["epoch"] == 1 and len(rs["id"]) <= 32,
          f"the request names the gap's first seq, the epoch and a short id ({rs})")
    lst = net.sonae("device", "list").stdout
    row = [l for l in lst.splitlines() if l.startswith(DEV + "\t")][0].split("\t")
    check(int(row[9]) >= 1, "sonae device list shows the open gap")

    # The node answers: every missing reading arrives, the gaps close.
    node.answering = True
    node.serve()
    check(wait_for(lambda: net.count_readings(DEV) == node.seq, 30),
          f"after the resends every one of the {node.seq} readings is stored")
    check(wait_for(lambda: net.query(
        "SELECT count(*) FROM reading_gaps WHERE closed_at IS NULL")[0][0] == 0, 10),
        "every gap is closed")
    check(wait_for(lambda: node.downs and node.downs[-1] == {}, 10),
          "the resend field is cleared from down")
    check(len(node.served) == len(set(node.served)), "each resend id was served once")
    # A reconnecting node gets the retained down again: no resend in it.
    node.downs.clear()
    node.connect()
    check(wait_for(lambda: node.downs, 10) and node.downs[-1] == {},
          "the retained down a node reads on connecting asks for nothing")
    out = net.stop_ingestd()
    check("gap" in out and "closed" in out, "ingestd logged the gap and its closing")
    node.c.loop_stop()
finally:
    net.close()
done("test_ingest_gaps")
