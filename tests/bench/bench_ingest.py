#!/usr/bin/python3
"""Ingest benchmark: readings/s from a publisher to committed rows through
sonae-ingestd, against the same broker delivering the same messages to a
subscriber that only counts (mosquitto_sub), same run, at QoS 1 and QoS 0;
and the memory of ingestd's per-device state for 1,000 devices.

    SONAE_BUILD_ROOT=build SONAE_SOURCE_ROOT=. /usr/bin/python3 tests/bench/bench_ingest.py [MESSAGES] [READINGS_PER_MESSAGE]

Aims (docs/sensors.md): >= 0.9x at QoS 1, >= 0.8x at QoS 0."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from sonaetest import REDUCED, exe, wait_for  # noqa: E402
from sensornet import Net, pack, up  # noqa: E402

M = 2000 if REDUCED else 20000  # messages; tests/bench/bench_backends.py sets its own
R = 1  # readings per message
DEV = "bench-01"


def lines(first_seq):
    t0 = int(time.time()) - 30 * 86400
    out = []
    for k in range(M):
        s = first_seq + k * R
        out.append(pack(DEV, 1, [{"t": t0 + 60 * (s + j), "seq": s + j,
                                  "dist": 1.0 + ((s + j) % 9) * 0.01, "batt": 3.6}
                                 for j in range(R)]))
    return "\n".join(out) + "\n"


def publish(net, password, qos, text):
    return subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(net.port), "-u", DEV,
                             "-P", password, "-q", str(qos), "-t", up(DEV), "-l"],
                            stdin=subprocess.PIPE, text=True), text


def baseline(net, password, qos):
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(net.port), "-u",
                            "monitor", "-P", net.secrets["monitor"], "-q", str(qos), "-t",
                            up(DEV), "-C", str(M), "-W", "120"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    text = lines(10**8)
    start = time.monotonic()
    p, _ = publish(net, password, qos, text)
    p.communicate(text)
    sub.wait()
    return M * R / (time.monotonic() - start)


def ingest(net, password, qos, first_seq, count=None):
    """Readings/s committed and how many; count() reads the store's number
    of readings (default: the SpatiaLite file's)."""
    count = count or net.count_readings
    before = count()
    text = lines(first_seq)
    start = time.monotonic()
    p, _ = publish(net, password, qos, text)
    p.communicate(text)
    last, last_t = before, time.monotonic()
    while True:
        n = count()
        now = time.monotonic()
        if n != last:
            last, last_t = n, now
        if n >= before + M * R or now - last_t > 5:
            break
        time.sleep(0.01)
    got = last - before
    return got / (last_t - start), got


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    global M, R
    if len(sys.argv) > 1:
        M = int(sys.argv[1])
    if len(sys.argv) > 2:
        R = int(sys.argv[2])
    net = Net(tls=False)
    try:
        net.start_broker()
        prov = net.add_device(DEV, "st-bench", 5.0, interval=60)
        net.reload_broker()
        print(f"{M} messages of {R} reading(s)")
        # The baselines run before ingestd ever connects, so that its
        # persistent session does not queue their messages.
        base = {qos: baseline(net, prov["password"], qos) for qos in (1, 0)}
        d = net.start_ingestd()
        wait_for(lambda: "connected to the broker" in d.output(), 10)
        seq = 0
        for qos in (1, 0):
            rate, got = ingest(net, prov["password"], qos, seq)
            seq += M * R
            print(f"QoS {qos}: counting subscriber {base[qos]:9.0f} readings/s; ingestd "
                  f"{rate:9.0f} readings/s committed ({got} of {M * R}); "
                  f"ratio {rate / base[qos]:.2f}x")
        net.stop_ingestd()
    finally:
        net.close()
    # Memory: the ingest core's own state for 1,000 devices (bench-ingest-mem).
    r = subprocess.run([exe("bench-ingest-mem"), "1000"], capture_output=True, text=True)
    print(r.stdout.strip() or r.stderr.strip())


if __name__ == "__main__":
    main()
