"""What the throwaway servers of the tests share (pgserver.py,
rabbitserver.py): the context manager that stops a half-started server,
and the command line `NAME.py [--timeout S] -- COMMAND [ARGS...]` that runs
COMMAND beside a server and removes the server afterwards, also when
COMMAND fails or the script is interrupted.  Standard library only."""
import os
import shutil
import signal
import socket
import subprocess
import sys


def free_port():
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    """Whether something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def stop_group(proc, sig=signal.SIGTERM, timeout=10):
    """Sends sig to the process group of proc (started with
    start_new_session) and waits; SIGKILL after timeout.  Accepts None and
    a process that has ended."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Throwaway:
    """A server with start() (returns self), stop() (idempotent, removes
    its files) and env() (the environment COMMAND gets)."""

    def remove_dir(self):
        """Removes the server's folder self.dir (once)."""
        if getattr(self, "dir", None):
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def run_beside(make, argv, doc, timeout):
    """make(timeout) builds the server; returns COMMAND's exit status."""
    if argv[:1] == ["--timeout"]:
        timeout = float(argv[1])
        argv = argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit(doc)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    with make(timeout) as server:
        try:
            return subprocess.run(argv, env=server.env(), check=False).returncode
        except KeyboardInterrupt:
            return 130
