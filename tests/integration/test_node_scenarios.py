"""sonae-node-sim's inputs: the five demo hydrographs, made by
demo/nodes.py from the demo's story at a given speed, load and tell the
story they are meant to (each level rises past its node's start level and
falls back below it by more than the hysteresis, and stays 0.3 m below its
mount; node-3 loses its network from +50 to +140 minutes; the intervals
and the scale follow the speed, also a fractional one), the generator
refuses what it cannot make, and the simulator refuses broken scenarios
and provisioning files with the file and line."""

import os
import signal
import subprocess
import sys

from sonaetest import SCALE, SOURCE, check, done, free_port, rmtree, tmpdir, wait_for
from nodesim import SIM

NODES_PY = os.path.join(SOURCE, "demo", "nodes.py")
sys.path.insert(0, os.path.join(SOURCE, "demo"))
import city  # noqa: E402

PROV = """device=demo-9
username=demo-9
password=x
host=127.0.0.1
port={port}
ca_sha256=
mount_mm=6500
"""


def story(path):
    level, outage = [], []
    for line in open(path, encoding="utf-8"):
        w = line.split("#")[0].split()
        if w and w[0] == "level":
            level.append(float(w[2]))
        if w and w[0] == "outage":
            outage.append((w[1], w[2]))
    return level, outage


def run(args, wait_line=None):
    p = subprocess.Popen([SIM] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    if wait_line is None:
        out, _ = p.communicate(timeout=10 * SCALE)
        return p.returncode, out
    lines = []
    ok = False
    for line in p.stdout:
        lines.append(line)
        if wait_line in line:
            ok = True
            break
    p.send_signal(signal.SIGTERM)
    rest, _ = p.communicate(timeout=10 * SCALE)
    return (p.returncode if ok else -1), "".join(lines) + rest


d = tmpdir("sonae-scen-")
try:
    port = free_port()  # nothing listens there: sessions fail, the node goes on
    devs = subprocess.run([sys.executable, NODES_PY, "list"], capture_output=True, text=True).stdout.split()
    check(devs == [n[0] for n in city.NODES], f"five demo nodes, those of demo/city.py ({devs})")

    def make(dev, speed, path):
        r = subprocess.run([sys.executable, NODES_PY, "scenario", dev, speed], capture_output=True, text=True)
        with open(path, "w") as f:
            f.write(r.stdout)
        return r

    files = []
    for dev in devs:
        f = os.path.join(d, dev + ".scenario")
        r = make(dev, "60", f)
        check(r.returncode == 0 and r.stdout.startswith("#"), f"{dev}: made at speed 60 ({r.stderr.strip()})")
        files.append(f)
    for f, node in zip(files, city.NODES):
        name = os.path.basename(f)
        start = [float(l.split("=")[1]) for l in open(f) if l.startswith("settings start_level_m=")]
        level, outage = story(f)
        check(start and max(level) > start[0] + 0.3 and level[-1] < start[0] - 0.1 and
              level[0] < start[0] - 0.1,
              f"{name}: the water rises past the start level {start} and falls back below it")
        check(max(level) <= node[5] - 0.3, f"{name}: the water stays 0.3 m below the mount ({max(level)})")
        prov = os.path.join(d, name + ".prov")
        with open(prov, "w") as p:
            p.write(PROV.format(port=port))  # as `sonae device add` writes it: no intervals
        rc, out = run(["--provision", prov, "--scenario", f, "--state", os.path.join(d, name + ".state")],
                      wait_line="session failed")
        check(rc == 0 and "measure 10s, heartbeat 20s, flood 10s, story x60" in out,
              f"{name}: loads, runs at 10 s for 10 story minutes, stops on SIGTERM")
    check(story(files[2])[1] == [("50m", "140m")], "node-3 loses its network from +50 to +140 minutes")

    # Another speed: the demo test's 120, and a fractional one (the scale
    # has three decimals; the intervals are whole seconds).
    for speed, want in (("120", "measure 5s, heartbeat 10s, flood 5s, story x120"),
                        ("7.5", "measure 80s, heartbeat 160s, flood 80s, story x7.5")):
        f = os.path.join(d, f"node-3-{speed}.scenario")
        make("node-3", speed, f)
        rc, out = run(["--provision", prov, "--scenario", f, "--state", os.path.join(d, "s" + speed)],
                      wait_line="session failed")
        check(rc == 0 and want in out, f"node-3 at speed {speed}: {want} ({out.splitlines()[0] if out else ''})")
    # What the generator cannot make: refused with a message, nothing printed.
    for args, what in ((["scenario", "node-9", "60"], "a node it does not know"),
                       (["scenario", "node-1", "0"], "a speed below [demo] speed's range"),
                       (["scenario", "node-1", "5000"], "a speed above it"),
                       (["scenario", "node-1", "fast"], "a speed that is not a number"),
                       (["scenario"], "missing arguments")):
        r = subprocess.run([sys.executable, NODES_PY] + args, capture_output=True, text=True)
        check(r.returncode != 0 and not r.stdout and r.stderr.strip(),
              f"demo/nodes.py refuses {what} ({r.stderr.strip()[:80]})")

    # The provisioning file's own settings override the scenario's.
    over = os.path.join(d, "over.prov")
    with open(over, "w") as p:
        p.write(PROV.format(port=port) + "measure_s=20\n")
    rc, out = run(["--provision", over, "--scenario", files[0], "--state", os.path.join(d, "o")],
                  wait_line="session failed")
    check(rc == 0 and "measure 20s, heartbeat 20s" in out,
          "a provisioning line overrides the scenario's setting")
    check(all(not story(f)[1] for i, f in enumerate(files) if i != 2), "the others keep it")

    # Broken inputs: refused with the place.
    bad = os.path.join(d, "bad.scenario")
    with open(bad, "w") as f:
        f.write("scale 60\nlevel 0 0.5\nlevel 1h 0.6\nlevel 30m 0.7\n")
    rc, out = run(["--provision", prov, "--scenario", bad, "--state", d])
    check(rc == 2 and "bad.scenario:4" in out, f"a level going back in time is refused ({out.strip()})")
    for text, what in (("scale 0\nlevel 0 1\n", "a zero scale"), ("scale 0.0004\nlevel 0 1\n", "a scale below 0.001"),
                       ("scale 1.5x\nlevel 0 1\n", "a scale that is not a number"), ("scale 60\n", "no level"),
                       ("level 0 1\noutage 2h 1h\n", "an outage that ends before it starts"),
                       ("level 0 1\nlevel 1x 2\n", "a time unit it does not know"),
                       ("level 0 1\nsettings password=x\n", "a scenario setting the secret"),
                       ("level 0 1\nsettings measure_s=0\n", "a setting out of range")):
        with open(bad, "w") as f:
            f.write(text)
        rc, out = run(["--provision", prov, "--scenario", bad, "--state", d])
        check(rc == 2, f"{what} is refused ({out.strip()})")
    badprov = os.path.join(d, "bad.prov")
    with open(badprov, "w") as f:
        f.write(PROV.format(port=port).replace("port=", "port=x"))
    rc, out = run(["--provision", badprov, "--scenario", files[0], "--state", d])
    check(rc == 2 and "bad.prov:5" in out, f"a bad port in the provisioning is refused ({out.strip()})")
    with open(badprov, "w") as f:
        f.write(PROV.format(port=port).replace("password=x\n", ""))
    rc, out = run(["--provision", badprov, "--scenario", files[0], "--state", d])
    check(rc == 2 and "password" in out, f"a provisioning without a password is refused")
    # The console form on standard input: "prov key=value" lines, "prov end".
    console = "".join("prov " + l for l in PROV.format(port=port).splitlines(True)) + "prov end\n"
    p = subprocess.Popen([SIM, "--provision", "-", "--scenario", files[0], "--state",
                          os.path.join(d, "console")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    p.stdin.write(console)
    p.stdin.flush()
    first = p.stdout.readline()
    p.send_signal(signal.SIGTERM)
    rest, _ = p.communicate(input=None, timeout=10 * SCALE)
    check("demo-9 epoch 1" in first and p.returncode == 0,
          f"provisioning as prov commands on the console ({first.strip()})")
    p = subprocess.run([SIM, "--provision", "-", "--scenario", files[0], "--state",
                        os.path.join(d, "console2")], input="prov device=a/b\nprov end\n",
                       capture_output=True, text=True, timeout=10 * SCALE)
    check(p.returncode == 2, "a bad console line is refused")
    rc, out = run(["--scenario", files[0]])
    check(rc == 2 and "usage" in out, "missing arguments print the usage")
finally:
    rmtree(d)
done("test_node_scenarios")
