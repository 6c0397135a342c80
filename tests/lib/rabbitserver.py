#!/usr/bin/env python3
"""A throwaway RabbitMQ node with the MQTT plugin for the tests.

Usage: rabbitserver.py [--timeout S] -- COMMAND [ARGS...]

Starts Debian's rabbitmq-server (3.10, MQTT 3.1.1) as a private node in a
new temporary folder: its own node name, Mnesia and log folders, config
file, enabled_plugins file (rabbitmq_mqtt only), Erlang cookie and HOME,
and its own epmd, all on free loopback ports.  The node's only user is
`sonae` with a password (no guest).  As root it runs as the system user
`rabbitmq` (created by Debian's package) with a HOME that user owns.
Runs COMMAND with

  SONAE_RABBIT_MQTT_PORT, SONAE_RABBIT_USER, SONAE_RABBIT_PASSWORD

and stops the node and its epmd and removes the folder afterwards, also
when COMMAND fails or this script is interrupted.  Exits with COMMAND's
status.  Importable too: RabbitServer() is a context manager, and
kill() / start() restart the same node on the same ports and files.

Erlang starts slowly: every wait is multiplied by SONAE_TIME_SCALE."""
import os
import pwd
import secrets
import signal
import subprocess
import sys
import tempfile
import time

from throwaway import Throwaway, free_port, port_open, run_beside, stop_group

RABBIT_BIN = "/usr/lib/rabbitmq/bin"
RUN_AS = "rabbitmq"  # the system account Debian's package creates
USER = "sonae"
SCALE = max(1.0, float(os.environ.get("SONAE_TIME_SCALE", "1") or "1"))


class RabbitServer(Throwaway):
    def __init__(self, timeout=90):
        self.timeout = timeout * SCALE
        self.dir = None
        self.proc = None
        self.epmd = None
        self.password = secrets.token_urlsafe(18)
        self.node = f"sonae-test-{os.getpid()}@localhost"
        self.mqtt_port = self.amqp_port = self.dist_port = self.epmd_port = None
        self._pw = None

    # ---- files ----
    def _prepare(self):
        if os.getuid() == 0:
            try:
                self._pw = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise RuntimeError(f"rabbitserver: user {RUN_AS} missing "
                                   "(install rabbitmq-server: tools/setup.sh)")
        if not os.path.exists(os.path.join(RABBIT_BIN, "rabbitmq-server")):
            raise RuntimeError("rabbitserver: rabbitmq-server is not installed (tools/setup.sh)")
        self.dir = tempfile.mkdtemp(prefix="sonae-rabbit-")
        os.chmod(self.dir, 0o755)
        for sub in ("home", "mnesia", "log"):
            os.mkdir(os.path.join(self.dir, sub))
        self.mqtt_port, self.amqp_port = free_port(), free_port()
        self.dist_port, self.epmd_port = free_port(), free_port()
        with open(os.path.join(self.dir, "home", ".erlang.cookie"), "w") as f:
            f.write(secrets.token_hex(20))
        os.chmod(os.path.join(self.dir, "home", ".erlang.cookie"), 0o400)
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[rabbitmq_mqtt].\n")
        with open(os.path.join(self.dir, "rabbitmq-env.conf"), "w") as f:
            f.write("# empty: everything is set in the environment\n")
        # The default user replaces guest; it exists only in this node.
        with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
            f.write(f"""listeners.tcp.default = 127.0.0.1:{self.amqp_port}
mqtt.listeners.tcp.default = 127.0.0.1:{self.mqtt_port}
mqtt.allow_anonymous = false
mqtt.vhost = /
mqtt.exchange = amq.topic
default_user = {USER}
default_pass = {self.password}
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
log.file.level = info
log.console = false
""")
        if self._pw:
            for root, dirs, files in os.walk(self.dir):
                for n in dirs + files:
                    os.chown(os.path.join(root, n), self._pw.pw_uid, self._pw.pw_gid)
            os.chown(self.dir, self._pw.pw_uid, self._pw.pw_gid)

    def _env(self):
        d = self.dir
        e = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.path.join(d, "home"),
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONF_ENV_FILE": os.path.join(d, "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": os.path.join(d, "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(d, "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(d, "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": os.path.join(d, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(d, "log"),
            "RABBITMQ_PID_FILE": os.path.join(d, "rabbit.pid"),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        return e

    def _as_user(self, argv):
        if self._pw:
            return ["runuser", "-u", RUN_AS, "--"] + argv
        return argv

    # ---- start and stop ----
    def start(self):
        """Starts the node (again, after kill(), on the same files)."""
        if self.dir is None:
            self._prepare()
        env = self._env()
        if self.epmd is None or self.epmd.poll() is not None:
            self.epmd = subprocess.Popen(
                self._as_user(["epmd", "-port", str(self.epmd_port), "-address", "127.0.0.1"]),
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)
        log = open(os.path.join(self.dir, "server.out"), "ab")
        self.proc = subprocess.Popen(self._as_user([os.path.join(RABBIT_BIN, "rabbitmq-server")]),
                                     env=env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("rabbitmq-server exited: " + self.log_tail())
            if port_open(self.mqtt_port):
                return self
            time.sleep(0.2)
        raise RuntimeError("rabbitmq-server did not open its MQTT port: " + self.log_tail())

    def kill(self):
        """SIGKILL to the whole node (the broker crashing); files stay."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        end = time.monotonic() + 10 * SCALE
        while port_open(self.mqtt_port) and time.monotonic() < end:
            time.sleep(0.1)

    def log_tail(self):
        out = []
        for name in ("server.out",):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out.append(f.read()[-1500:])
            except OSError:
                pass
        logdir = os.path.join(self.dir or "", "log")
        for n in sorted(os.listdir(logdir)) if os.path.isdir(logdir) else []:
            with open(os.path.join(logdir, n), errors="replace") as f:
                out.append(f.read()[-1500:])
        return "\n".join(out)

    def env(self):
        e = dict(os.environ)
        e.update(SONAE_RABBIT_MQTT_PORT=str(self.mqtt_port), SONAE_RABBIT_USER=USER,
                 SONAE_RABBIT_PASSWORD=self.password)
        return e

    def stop(self):
        # SIGTERM: the node shuts down cleanly; nothing needs to survive.
        stop_group(self.proc, signal.SIGTERM, 30 * SCALE)
        self.proc = None
        stop_group(self.epmd, signal.SIGKILL)
        self.epmd = None
        self.remove_dir()

def main(argv):
    return run_beside(RabbitServer, argv, __doc__, 90)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
