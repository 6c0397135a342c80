"""sonae-node-sim's inputs: the five demo hydrographs (demo/nodes) load,
tell the story they are meant to (each level rises past its node's start
level and falls back below it by more than the hysteresis; node-3 loses
its network for two hours of the story), and the simulator refuses broken
scenarios and provisioning files with the file and line."""

import glob
import os
import signal
import subprocess

from sonaetest import SCALE, SOURCE, check, done, free_port, rmtree, tmpdir, wait_for
from nodesim import SIM

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
    files = sorted(glob.glob(os.path.join(SOURCE, "demo", "nodes", "node-*.scenario")))
    check(len(files) == 5, f"five demo scenarios ({len(files)})")
    for f in files:
        name = os.path.basename(f)
        start = [float(l.split("=")[1]) for l in open(f) if l.startswith("settings start_level_m=")]
        level, outage = story(f)
        check(start and max(level) > start[0] + 0.3 and level[-1] < start[0] - 0.1 and
              level[0] < start[0] - 0.1,
              f"{name}: the water rises past the start level {start} and falls back below it")
        prov = os.path.join(d, name + ".prov")
        with open(prov, "w") as p:
            p.write(PROV.format(port=port))  # as `sonae device add` writes it: no intervals
        rc, out = run(["--provision", prov, "--scenario", f, "--state", os.path.join(d, name)],
                      wait_line="session failed")
        check(rc == 0 and "measure 10s, heartbeat 60s, flood 10s, story x60" in out,
              f"{name}: loads, runs at 10 s for 10 story minutes, stops on SIGTERM")
    check(story(files[2])[1] == [("5h", "7h")], "node-3 loses its network for two story hours")

    # The provisioning file's own settings override the scenario's.
    over = os.path.join(d, "over.prov")
    with open(over, "w") as p:
        p.write(PROV.format(port=port) + "measure_s=20\n")
    rc, out = run(["--provision", over, "--scenario", files[0], "--state", os.path.join(d, "o")],
                  wait_line="session failed")
    check(rc == 0 and "measure 20s, heartbeat 60s" in out,
          "a provisioning line overrides the scenario's setting")
    check(all(not story(f)[1] for i, f in enumerate(files) if i != 2), "the others keep it")

    # Broken inputs: refused with the place.
    bad = os.path.join(d, "bad.scenario")
    with open(bad, "w") as f:
        f.write("scale 60\nlevel 0 0.5\nlevel 1h 0.6\nlevel 30m 0.7\n")
    rc, out = run(["--provision", prov, "--scenario", bad, "--state", d])
    check(rc == 2 and "bad.scenario:4" in out, f"a level going back in time is refused ({out.strip()})")
    for text, what in (("scale 0\nlevel 0 1\n", "a zero scale"), ("scale 60\n", "no level"),
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
