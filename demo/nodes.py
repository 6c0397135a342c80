#!/usr/bin/python3
"""Provisions the demo's sensor nodes: `demo/nodes.py add CONF DEVICE`
runs `sonae device add` for one node of demo/city.py's NODES (station,
point, mount height), which writes its provisioning file and its broker
password and ACL entries.  Used by run.sh and the demo test."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import city  # noqa: E402


def add(sonae, conf, dev):
    for d, station, name, lon, lat, mount in city.NODES:
        if d == dev:
            return subprocess.run([sonae, "-c", conf, "device", "add", d, "--station", station,
                                   "--mount-height", str(mount), "--lon", str(lon), "--lat", str(lat),
                                   "--name", name, "--interval", "60"]).returncode
    print(f"nodes.py: no node {dev} in demo/city.py", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "add":
        print("usage: demo/nodes.py add CONF DEVICE", file=sys.stderr)
        sys.exit(2)
    build = os.environ.get("SONAE_BUILD_ROOT", os.path.join(os.path.dirname(HERE), "build"))
    sys.exit(add(os.path.join(build, "cli", "sonae"), sys.argv[2], sys.argv[3]))
