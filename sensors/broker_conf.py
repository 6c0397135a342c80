#!/usr/bin/python3
"""Writes a Mosquitto 2.x configuration for Sonae's sensor nodes.

Used by the tests, by ./run.sh and by an operator setting up the broker
(docs/sensors.md).  Python standard library only.

    sensors/broker_conf.py --dir DIR [--port 1883] [--tls-port 8883]
        [--bind 127.0.0.1] [--cafile CA --certfile CERT --keyfile KEY]
        [--ingest-user sonae-ingestd] [--reader USER ...] [--run-as USER]

DIR receives mosquitto.conf, acl (if absent: the %u patterns of
docs/protocol.md and the lines of sonae-ingestd and the readers), passwd
(an empty one if absent; `sonae device add` and mosquitto_passwd write
entries) and the persistence folder.  Run it again after changing options;
the password file is kept.

Why the settings: `persistence true` with a short `autosave_interval`
keeps sessions and queued QoS 1 messages across a broker restart;
`max_queued_messages 0` lifts the default limit of 1000, which silently
drops QoS 1 messages for an offline persistent session (sonae-ingestd
being restarted)."""

import argparse
import os
import sys


def acl_text(ingest_user, readers):
    lines = [
        "# Sonae broker ACL (sensors/broker_conf.py).",
        "# sonae-ingestd reads every node's up and status and writes down.",
        f"user {ingest_user}",
        "topic read sonae/v1/nodes/+/up",
        "topic read sonae/v1/nodes/+/status",
        "topic readwrite sonae/v1/nodes/+/down",
        "",
    ]
    for r in readers:
        lines += [f"# A read-only monitor.", f"user {r}", "topic read sonae/v1/#", ""]
    lines += [
        "# Written by `sonae device`: each node may write only its own up and",
        "# status and read only its own down (%u is the node's user name).",
        "pattern write sonae/v1/nodes/%u/up",
        "pattern write sonae/v1/nodes/%u/status",
        "pattern read sonae/v1/nodes/%u/down",
        "",
    ]
    return "\n".join(lines)


def conf_text(d, port, tls_port, bind, cafile, certfile, keyfile, run_as, autosave):
    pers = os.path.join(d, "persist") + "/"
    lines = [
        "# Mosquitto configuration for Sonae (sensors/broker_conf.py).",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {os.path.join(d, 'passwd')}",
        f"acl_file {os.path.join(d, 'acl')}",
        "persistence true",
        f"persistence_location {pers}",
        f"autosave_interval {autosave}",
        "max_queued_messages 0",
        "max_inflight_messages 20",
        "queue_qos0_messages false",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages false",
    ]
    if run_as:
        lines.append(f"user {run_as}")
    if port:
        lines += ["", f"listener {port} {bind}" if bind else f"listener {port}"]
    if tls_port:
        lines += [
            "",
            f"listener {tls_port} {bind}" if bind else f"listener {tls_port}",
            f"cafile {cafile}",
            f"certfile {certfile}",
            f"keyfile {keyfile}",
            "tls_version tlsv1.2",
        ]
    return "\n".join(lines) + "\n"


def write_broker_config(d, port=1883, tls_port=0, bind="127.0.0.1", cafile=None, certfile=None,
                        keyfile=None, ingest_user="sonae-ingestd", readers=(), run_as=None,
                        autosave=1):
    """Writes DIR/mosquitto.conf (always), DIR/acl and DIR/passwd (when
    absent); returns the path of mosquitto.conf."""
    d = os.path.abspath(d)
    os.makedirs(os.path.join(d, "persist"), exist_ok=True)
    if tls_port and not (cafile and certfile and keyfile):
        raise ValueError("a TLS listener needs --cafile, --certfile and --keyfile")
    acl = os.path.join(d, "acl")
    if not os.path.exists(acl):
        with open(acl, "w", encoding="utf-8") as f:
            f.write(acl_text(ingest_user, readers))
    pw = os.path.join(d, "passwd")
    if not os.path.exists(pw):
        fd = os.open(pw, os.O_WRONLY | os.O_CREAT, 0o640)
        os.close(fd)
    path = os.path.join(d, "mosquitto.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(conf_text(d, port, tls_port, bind,
                          cafile and os.path.abspath(cafile),
                          certfile and os.path.abspath(certfile),
                          keyfile and os.path.abspath(keyfile), run_as, autosave))
    return path


def main():
    p = argparse.ArgumentParser(description="Write a Mosquitto configuration for Sonae.")
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=1883, help="plain listener (0: none)")
    p.add_argument("--tls-port", type=int, default=0, help="TLS listener (0: none)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on ('' for all)")
    p.add_argument("--cafile")
    p.add_argument("--certfile")
    p.add_argument("--keyfile")
    p.add_argument("--ingest-user", default="sonae-ingestd")
    p.add_argument("--reader", action="append", default=[])
    p.add_argument("--run-as", help="user the broker runs as when started as root")
    p.add_argument("--autosave-interval", type=int, default=1)
    a = p.parse_args()
    try:
        path = write_broker_config(a.dir, a.port, a.tls_port, a.bind, a.cafile, a.certfile,
                                   a.keyfile, a.ingest_user, a.reader, a.run_as,
                                   a.autosave_interval)
    except (ValueError, OSError) as e:
        print(f"broker-conf: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
