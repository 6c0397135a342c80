"""Every daemon: -n on the sample config, a bad config refused with file,
line and key; start; SIGHUP with a bad config keeps the old one, with a good
one reloads; SIGTERM exits 0 within 2 s (scaled)."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from sonaetest import Daemon, check, done, exe, free_port, rmtree, tmpdir, wait_for, SCALE  # noqa: E402

DAEMONS = ["sonae-collectd", "sonae-ingestd", "sonae-portald"]

d = tmpdir()
try:
    r = subprocess.run([exe("sonae"), "init", d], capture_output=True, text=True)
    check(r.returncode == 0, "sonae init writes a sample config")
    conf = os.path.join(d, "sonae.conf")
    check(os.path.isfile(conf) and os.path.isdir(os.path.join(d, "data")), "sonae.conf and data/ exist")
    sample = open(conf, encoding="utf-8").read()
    for section in ["[store]", "[data]", "[log]", "[portal]", "[mqtt]", "[jma]", "[demo]", "[source.", "[notify."]:
        check(section in sample, f"sample has {section}")
    r = subprocess.run([exe("sonae"), "init", d], capture_output=True, text=True)
    check(r.returncode == 0 and open(conf, encoding="utf-8").read() == sample, "init again leaves the config as it was")

    bad = os.path.join(d, "bad.conf")
    with open(bad, "w") as f:
        f.write("[store]\nbackend = nonsense\n")

    for name in DAEMONS + ["sonae"]:
        r = subprocess.run([exe(name), "-n", "-c", conf], capture_output=True, text=True)
        check(r.returncode == 0 and "configuration OK" in r.stdout, f"{name} -n on the sample exits 0")
        r = subprocess.run([exe(name), "-n", "--config", bad], capture_output=True, text=True)
        check(r.returncode != 0, f"{name} -n on backend = nonsense exits non-zero")
        check("bad.conf:2:" in r.stderr and "[store] backend" in r.stderr, f"{name} names file, line and key")
        r = subprocess.run([exe(name), "--version"], capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout.startswith(name + " "), f"{name} --version")
        r = subprocess.run([exe(name), "-h"], capture_output=True, text=True)
        check(r.returncode == 0 and "-c, --config FILE" in r.stdout, f"{name} -h")
        r = subprocess.run([exe(name), "--no-such-flag"], capture_output=True, text=True)
        check(r.returncode != 0, f"{name} refuses an unknown flag")

    for name in DAEMONS:
        live = os.path.join(d, f"{name}.conf")
        # sonae-portald binds [portal] listen: a free port, not the sample's 8080.
        sample = sample.replace("listen = 127.0.0.1:8080", f"listen = 127.0.0.1:{free_port()}")
        with open(live, "w") as f:
            f.write(sample)
        dm = Daemon(name, ["-c", live])
        try:
            check(wait_for(lambda: "started" in dm.output(), 5), f"{name} starts")
            # A bad config on SIGHUP is refused; the daemon keeps running.
            with open(live, "w") as f:
                f.write("[mqtt]\nport = 0\n")
            dm.signal(signal.SIGHUP)
            check(wait_for(lambda: "keeping the old one" in dm.output(), 5), f"{name} keeps the old config")
            check(dm.proc.poll() is None, f"{name} still runs after a bad reload")
            check("port" in dm.output(), f"{name} says which key was bad")
            # A good one is taken.
            with open(live, "w") as f:
                f.write(sample.replace("level = info", "level = debug"))
            dm.signal(signal.SIGHUP)
            check(wait_for(lambda: "configuration valid" in dm.output() or "configuration reloaded" in dm.output(), 5),
                  f"{name} reloads a valid config")
            t0 = time.monotonic()
            dm.signal(signal.SIGTERM)
            rc = dm.wait(2)
            check(rc == 0, f"{name} exits 0 on SIGTERM (rc {rc})")
            check(time.monotonic() - t0 <= 2 * SCALE, f"{name} stops within 2 s")
        finally:
            dm.stop()

    # A daemon with a broken config never starts.
    r = subprocess.run([exe("sonae-portald"), "-c", bad], capture_output=True, text=True, timeout=10 * SCALE)
    check(r.returncode != 0, "sonae-portald refuses to start on a broken config")
    r = subprocess.run([exe("sonae-portald"), "-c", os.path.join(d, "missing.conf")], capture_output=True, text=True,
                       timeout=10 * SCALE)
    check(r.returncode != 0 and "cannot open" in r.stderr, "a missing config is a clear error")
finally:
    rmtree(d)
done("test_daemons")
