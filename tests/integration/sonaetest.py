"""Helpers shared by Sonae's integration tests (Python standard library only).

Each test is a program: it prints what it checks, and exits non-zero on the
first failed check, naming it.  Time limits are multiplied by
SONAE_TIME_SCALE (>= 3 under sanitizers)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SCALE = max(1.0, float(os.environ.get("SONAE_TIME_SCALE", "1") or "1"))
BUILD = os.environ.get("SONAE_BUILD_ROOT", "build")
SOURCE = os.environ.get("SONAE_SOURCE_ROOT", ".")
FIXTURES = os.environ.get("SONAE_FIXTURES", os.path.join(SOURCE, "..", "shared", "fixtures"))
REDUCED = os.environ.get("SONAE_REDUCED", "") not in ("", "0")

_checks = 0


def check(cond, what):
    """One check: prints it, and stops the test when it fails."""
    global _checks
    _checks += 1
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def done(name):
    if _checks == 0:
        print(f"{name}: no checks ran", flush=True)
        sys.exit(1)
    print(f"{name}: {_checks} checks passed", flush=True)
    sys.exit(0)


def exe(name):
    """Path of a built executable, by its install name."""
    for sub in ("cli", "collectors", "sensors", "portal", "tools", "."):
        p = os.path.join(BUILD, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise FileNotFoundError(name)


def tmpdir(prefix="sonae-test-"):
    d = tempfile.mkdtemp(prefix=prefix)
    return d


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, step=0.05):
    """Polls pred until it is true or timeout (scaled) passes."""
    end = time.monotonic() + timeout * SCALE
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Daemon:
    """A daemon started for a test, with its stderr captured to a file."""

    def __init__(self, name, args, env=None):
        self.log_path = tempfile.mktemp(prefix=f"{name}-", suffix=".log")
        self.log = open(self.log_path, "wb")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.proc = subprocess.Popen([exe(name)] + args, stdout=self.log, stderr=subprocess.STDOUT, env=e)

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(5) is None:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


def stop_showing_why(dm, lines=40):
    """Stops dm (None is fine) from a finally clause; when a check failed
    (or SONAE_TEST_VERBOSE is set) prints the daemon's last lines first,
    which say why."""
    if not dm:
        return
    e = sys.exc_info()[1]
    if (isinstance(e, SystemExit) and e.code) or os.environ.get("SONAE_TEST_VERBOSE"):
        print("\n".join(dm.output().splitlines()[-lines:]))
    dm.stop()


def rmtree(d):
    shutil.rmtree(d, ignore_errors=True)
