#!/usr/bin/env python3
"""A throwaway PostgreSQL 15 + PostGIS 3 server for the tests.

Usage: pgserver.py [--timeout S] -- COMMAND [ARGS...]

Runs initdb in a new temporary folder as the dedicated user `sonae-pg`
(PostgreSQL refuses to run as root; the user is created when missing and
this runs as root), starts postgres on a free loopback port with its unix
socket in that folder, creates the database `sonae_template` with the
postgis and pg_trgm extensions, runs COMMAND with

  SONAE_TEST_BACKEND=postgis
  SONAE_PG_DSN=host=127.0.0.1 port=P user=sonae dbname=sonae_template
  SONAE_PG_HOST, SONAE_PG_PORT, SONAE_PG_USER

and removes the server and the folder afterwards, also when COMMAND
fails, times out or this script is interrupted.  Exits with COMMAND's
status.  Also importable: PgServer() is a context manager, and
PgServer.add_standby() makes a streaming replica of it (pg_basebackup -R)
on another port in its own folder, which standby_stop() and
standby_start() stop and start again on the same port."""
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import time

from throwaway import Throwaway, run_beside, stop_group

PG_BIN = "/usr/lib/postgresql/15/bin"
PG_USER = "sonae-pg"  # the system account the server runs as
DB_USER = "sonae"  # the cluster's superuser name, what clients log in as


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_user():
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        pass
    if os.getuid() != 0:
        sys.exit(f"pgserver: user {PG_USER} missing and not root (run tools/setup.sh)")
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    PG_USER], check=False, stderr=subprocess.DEVNULL)
    return pwd.getpwnam(PG_USER)


class PgServer(Throwaway):
    def __init__(self, timeout=60, durable=False):
        """durable: keep PostgreSQL's own fsync and synchronous commit (for
        the benchmarks); the tests' server turns them off."""
        self.timeout = timeout
        self.durable = durable
        self.dir = None
        self.proc = None
        self.port = None
        self.standby_proc = None
        self.standby_port = None

    def _as_pg(self, argv, **kw):
        if os.getuid() == 0:
            argv = ["runuser", "-u", PG_USER, "--"] + argv
        return argv

    def start(self):
        pw = _ensure_user() if os.getuid() == 0 else None
        self.dir = tempfile.mkdtemp(prefix="sonae-pg-")
        os.chmod(self.dir, 0o755)
        data = os.path.join(self.dir, "data")
        sock = os.path.join(self.dir, "sock")
        os.mkdir(sock)
        if pw:
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chown(sock, pw.pw_uid, pw.pw_gid)
        subprocess.run(self._as_pg([f"{PG_BIN}/initdb", "-D", data, "-U", DB_USER,
                                    "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                                    "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=self.timeout)
        deadline = time.monotonic() + self.timeout
        while True:
            self.port = _free_port()
            self.proc = self._postgres(data, self.port, sock, "postgres.log")
            if self._wait_ready(self.proc, self.port, deadline):
                break
            if self.proc.poll() is None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("postgres did not start: " + self.log_tail())
            self.proc = None  # port taken meanwhile: try another
        self.psql("CREATE DATABASE sonae_template", db="postgres")
        self.psql("CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm")
        return self

    def _postgres(self, data, port, sock, logname):
        log = open(os.path.join(self.dir, logname), "a")
        proc = subprocess.Popen(
            self._as_pg([f"{PG_BIN}/postgres", "-D", data, "-p", str(port),
                         "-c", "listen_addresses=127.0.0.1",
                         "-c", f"unix_socket_directories={sock}",
                         "-c", "max_connections=60", "-c", "shared_buffers=32MB"]
                        + ([] if self.durable else
                           ["-c", "fsync=off", "-c", "synchronous_commit=off",
                            "-c", "full_page_writes=off"])),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return proc

    def _wait_ready(self, proc, port, deadline):
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            r = subprocess.run([f"{PG_BIN}/pg_isready", "-q", "-h", "127.0.0.1", "-p",
                                str(port)], check=False)
            if r.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def log_tail(self, name="postgres.log"):
        try:
            with open(os.path.join(self.dir, name)) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def dsn(self, db="sonae_template"):
        return f"host=127.0.0.1 port={self.port} user={DB_USER} dbname={db}"

    def standby_dsn(self, db="sonae_template"):
        return f"host=127.0.0.1 port={self.standby_port} user={DB_USER} dbname={db}"

    def psql(self, sql, db="sonae_template", standby=False):
        dsn = self.standby_dsn(db) if standby else self.dsn(db)
        r = subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                            "-d", dsn, "-c", sql],
                           check=True, capture_output=True, text=True, timeout=self.timeout)
        return r.stdout.strip()

    def env(self):
        e = dict(os.environ)
        e.update(SONAE_TEST_BACKEND="postgis", SONAE_PG_DSN=self.dsn(),
                 SONAE_PG_HOST="127.0.0.1", SONAE_PG_PORT=str(self.port),
                 SONAE_PG_USER=DB_USER)
        return e

    def add_standby(self):
        """A hot standby streaming from this server (pg_basebackup -R: the
        trust rules initdb writes let 127.0.0.1 replicate); returns its
        port."""
        pw = pwd.getpwnam(PG_USER) if os.getuid() == 0 else None
        sock = os.path.join(self.dir, "sock-standby")
        os.mkdir(sock)
        if pw:
            os.chown(sock, pw.pw_uid, pw.pw_gid)
        self.standby_data = os.path.join(self.dir, "standby")
        self.standby_sock = sock
        subprocess.run(self._as_pg([f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p",
                                    str(self.port), "-U", DB_USER, "-D", self.standby_data,
                                    "-R", "-X", "stream", "--no-sync", "--checkpoint=fast"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=self.timeout)
        self.standby_port = _free_port()
        self.standby_start()
        return self.standby_port

    def standby_start(self):
        self.standby_proc = self._postgres(self.standby_data, self.standby_port,
                                           self.standby_sock, "standby.log")
        if not self._wait_ready(self.standby_proc, self.standby_port,
                                time.monotonic() + self.timeout):
            raise RuntimeError("the standby did not start: " + self.log_tail("standby.log"))

    def standby_stop(self):
        """A fast shutdown (SIGINT): it starts again where it stopped."""
        stop_group(self.standby_proc, signal.SIGINT, timeout=30)
        self.standby_proc = None

    def stop(self):
        # SIGQUIT: immediate shutdown; nothing here needs to survive.
        stop_group(self.standby_proc, signal.SIGQUIT)
        self.standby_proc = None
        stop_group(self.proc, signal.SIGQUIT)
        self.proc = None
        self.remove_dir()


def main(argv):
    return run_beside(PgServer, argv, __doc__, 60)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
