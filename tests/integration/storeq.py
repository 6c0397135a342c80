"""The store an integration test runs its daemons on, and the test's own
reads of it: a SpatiaLite file in the test's folder, or with --postgis on
the command line a PostgreSQL database on a throwaway server
(tests/lib/pgserver.py).  Standard library only: SQLite through sqlite3,
PostgreSQL through psql (one line a row, fields split by |)."""

import atexit
import os
import sqlite3
import subprocess
import sys
from contextlib import ExitStack

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pgserver import PG_BIN, PgServer  # noqa: E402

POSTGIS = "--postgis" in sys.argv[1:]


def _literal(v):
    if isinstance(v, bytes):
        return "'\\x" + v.hex() + "'::bytea"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _value(x):
    if x == "\x1d":  # psql's NULL, as -P null= sets it
        return None
    if x.startswith("\\x"):
        return bytes.fromhex(x[2:])
    # Digits read as an integer, unless the integer would not print the
    # same: codes with a leading zero (0620311, 06203) are text, as in
    # SQLite.
    if x.lstrip("-").isdigit() and str(int(x)) == x:
        return int(x)
    return x


class Store:
    """db: the SpatiaLite file the daemons' [store] path names (unused on
    PostgreSQL); conf: the [store] section to append to a config (empty for
    SpatiaLite, whose path the config already has)."""

    # What a refused statement raises from q().
    Error = (sqlite3.DatabaseError, subprocess.CalledProcessError)

    def __init__(self, d):
        self.db = os.path.join(d, "sonae.db")
        self.target = self.db  # what tests/integration/portal_seed.c opens
        self.stack = ExitStack()
        # The server goes with the test, also when a step before its
        # try/finally fails.
        atexit.register(self.stack.close)
        self.pg = None
        self.conf = ""
        if POSTGIS:
            self.pg = self.stack.enter_context(PgServer())
            self.pg.psql("CREATE DATABASE sonae TEMPLATE sonae_template", db="postgres")
            self.target = self.pg.dsn("sonae")
            # A second [store] section: its keys override the file path.
            self.conf = f"[store]\nbackend = postgis\ndsn = {self.target}\n"

    def name(self, base):
        """The test's name: base, or base-postgis."""
        return base + "-postgis" if POSTGIS else base

    def q(self, sql, *args):
        """Rows of sql with ? parameters (ints, text, bytes), committed."""
        if self.pg:
            parts = sql.split("?")
            text = parts[0] + "".join(_literal(a) + p for a, p in zip(args, parts[1:]))
            # Unit and record separators: text columns (JSON, notes) may
            # hold | and newlines.
            r = subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                                "-F", "\x1f", "-R", "\x1e", "-d", self.target, "-c", text],
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise subprocess.CalledProcessError(r.returncode, "psql", r.stdout, r.stderr)
            return [tuple(_value(x) for x in row.split("\x1f"))
                    for row in r.stdout.rstrip("\n").split("\x1e") if row]
        con = sqlite3.connect(self.db, timeout=10)
        try:
            r = con.execute(sql, args).fetchall()
            con.commit()
            return r
        finally:
            con.close()

    def all_bytes(self, timeout=60):
        """Everything the store holds, as bytes: the file and its log, or a
        pg_dump of the database."""
        if self.pg:
            return subprocess.run([f"{PG_BIN}/pg_dump", "-d", self.pg.dsn("sonae")],
                                  capture_output=True, check=True, timeout=timeout).stdout
        out = b""
        for suffix in ("", "-wal", "-journal"):
            if os.path.exists(self.db + suffix):
                with open(self.db + suffix, "rb") as f:
                    out += f.read()
        return out

    def close(self):
        self.stack.close()
