#!/usr/bin/env python3
"""Debian's nginx as a caching reverse proxy in front of several
sonae-portald instances, for the tests (standard library only).

NginxCache(upstreams, status_seconds) writes its own nginx.conf, cache and
temp folders in a new temporary folder, starts nginx in the foreground on a
free 127.0.0.1 port, and removes everything on stop().  What it does is
what docs/scale.md shows for a city: every request goes to one of the
portals (the next one when a portal refuses or times out); public answers
are cached for as long as their Cache-Control says, /api/v1/status for
status_seconds of its own; nothing is cached or served from the cache for
a request with a Cookie or Authorization header (staff), and answers the
portal marks no-store are never kept.  A stale status is served when no
portal answers.  X-Cache-Status says HIT, MISS, EXPIRED, STALE or BYPASS.

As root, nginx's workers run as www-data, which then owns the folder."""
import os
import pwd
import signal
import subprocess
import tempfile
import time

from throwaway import Throwaway, free_port, port_open, stop_group

NGINX = "/usr/sbin/nginx"
WORKER_USER = "www-data"

CONF = """\
{user}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format sonae '$msec "$request" $status $upstream_cache_status $upstream_addr';
    access_log {dir}/access.log sonae;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    proxy_cache_path {dir}/cache levels=1:2 keys_zone=sonae:4m max_size=64m inactive=10m;

    upstream portals {{
{servers}
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_connect_timeout 2s;
        proxy_cache sonae;
        proxy_cache_lock on;
        proxy_cache_bypass $http_cookie $http_authorization;
        proxy_no_cache $http_cookie $http_authorization;
        add_header X-Cache-Status $upstream_cache_status always;

        location = /api/v1/status {{
            proxy_pass http://portals;
            proxy_ignore_headers Cache-Control Expires;
            proxy_cache_valid 200 {status_seconds}s;
            proxy_cache_use_stale error timeout updating http_502 http_503;
        }}
        location /api/v1/events {{
            proxy_pass http://portals;
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://portals;
        }}
    }}
}}
"""


class NginxCache(Throwaway):
    def __init__(self, upstreams, status_seconds=5, timeout=30):
        """upstreams: the portals' 127.0.0.1 ports."""
        self.upstreams = list(upstreams)
        self.status_seconds = status_seconds
        self.timeout = timeout
        self.dir = None
        self.proc = None
        self.port = None

    def start(self):
        if not os.path.exists(NGINX):
            raise RuntimeError("nginxproxy: nginx is not installed (tools/setup.sh)")
        self.dir = tempfile.mkdtemp(prefix="sonae-nginx-")
        os.chmod(self.dir, 0o755)
        for sub in ("tmp", "cache"):
            os.mkdir(os.path.join(self.dir, sub))
        self.port = free_port()
        user = ""
        if os.getuid() == 0:
            pw = pwd.getpwnam(WORKER_USER)
            user = f"user {WORKER_USER};"
            for sub in ("tmp", "cache"):
                os.chown(os.path.join(self.dir, sub), pw.pw_uid, pw.pw_gid)
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"
                            for p in self.upstreams)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(user=user, dir=self.dir, servers=servers, port=self.port,
                                status_seconds=self.status_seconds))
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", conf, "-e",
                                      os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        end = time.monotonic() + self.timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + self.log_tail())
            if port_open(self.port):
                return self
            time.sleep(0.05)
        raise RuntimeError("nginx did not start: " + self.log_tail())

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def access_log(self):
        """Time, request, status, cache verdict and upstream, a line each."""
        try:
            with open(os.path.join(self.dir, "access.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def env(self):
        e = dict(os.environ)
        e.update(SONAE_CACHE_PORT=str(self.port))
        return e

    def stop(self):
        stop_group(self.proc, signal.SIGTERM)
        self.proc = None
        self.remove_dir()
