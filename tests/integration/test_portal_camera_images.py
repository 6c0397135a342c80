"""Camera pictures through a real sonae-portald, written by the real camera
collector: sonae-collectd fetches two pictures (made by test-mkjpeg and
served by the fixture server on 127.0.0.1) into [data] dir and the store;
then latest.jpg, thumb.jpg, the history list and each kept picture are
served byte for byte as the collector fetched them, with image/jpeg, an
ETag (304 on a repeat) and Cache-Control.  Refused: unknown cameras and
pictures (404), a camera whose file is gone (404), a gauge asked as a
camera (404), traversal in the path (encoded or not) and a picture file
replaced by a symlink leading out of [data] dir (never served)."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from fixture_server import FixtureServer  # noqa: E402
from portaltest import Portal, status_of  # noqa: E402
from sonaetest import BUILD, FIXTURES, Daemon, check, done, exe, rmtree, tmpdir, wait_for  # noqa: E402

SEED = os.path.join(BUILD, "tests", "portal-seed")
SNAPSHOT = os.path.join(FIXTURES, "river", "k_river_crisis_gauges", "snapshot_2025-11-01-07JST.json")
JST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")


def jpeg(w, h, seed):
    return subprocess.run([exe("test-mkjpeg"), "-", str(w), str(h), str(seed), "85"], check=True,
                          stdout=subprocess.PIPE).stdout


def jpeg_size(data):
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        m = data[i + 1]
        seg = int.from_bytes(data[i + 2:i + 4], "big")
        if m in (0xC0, 0xC1, 0xC2):
            return (int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big"))
        i += 2 + seg
    return None


def rows(db, sql, *args):
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


d = tmpdir("sonae-portal-camimg-")
db = os.path.join(d, "sonae.db")
data = os.path.join(d, "data")
pic1, pic2 = jpeg(320, 240, 11), jpeg(320, 240, 22)
p = None
with FixtureServer() as srv:
    srv.put("/cam.jpg", pic1)
    conf = os.path.join(d, "collect.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f"""[store]
path = sonae.db
[data]
dir = data
[source.cam-akagawa]
type = camera
interval = 10
backoff_max = 10
image_url = {srv.url('/cam.jpg')}
name = 赤川 熊出
river = 赤川
lat = 38.70
lon = 139.84
thumb_width = 80
frozen_after = 0
stale_after = 600
""")
    cd = Daemon("sonae-collectd", ["-c", conf])
    try:
        check(wait_for(lambda: len(rows(db, "SELECT id FROM camera_images")) == 1, 30),
              "the camera collector keeps the first picture")
        srv.put("/cam.jpg", pic2)
        check(wait_for(lambda: len(rows(db, "SELECT id FROM camera_images")) == 2, 40),
              "and the second, after the camera changed its picture")
    finally:
        cd.stop()
cam = rows(db, "SELECT id FROM stations WHERE kind = 'camera'")[0][0]
imgs = rows(db, "SELECT id, path, thumb_path FROM camera_images ORDER BY captured_at")
try:
    p = Portal(d, extra="[data]\ndir = data\n")
    st, _, body = p.get("/api/v1/cameras")
    feat = {f["id"]: f for f in json.loads(body)["features"]}.get(cam)
    check(st == 200 and feat and feat["properties"]["latest"], "the camera is listed with its newest picture")

    # --- latest.jpg and thumb.jpg ---
    st, h, img = p.get(f"/api/v1/cameras/{cam}/latest.jpg")
    check(st == 200 and h["content-type"] == "image/jpeg" and img == pic2,
          f"latest.jpg: image/jpeg, the bytes the camera served last ({len(img)} bytes)")
    check(h.get("etag") and h.get("cache-control") == "public, max-age=30" and "content-encoding" not in h,
          f"latest.jpg: ETag {h.get('etag')}, {h.get('cache-control')}, not gzipped")
    st, h304, _ = p.get(f"/api/v1/cameras/{cam}/latest.jpg", {"If-None-Match": h["etag"]})
    check(st == 304, "latest.jpg answers 304 to its ETag")
    st, h, th = p.get(f"/api/v1/cameras/{cam}/thumb.jpg")
    check(st == 200 and h["content-type"] == "image/jpeg" and jpeg_size(th) == (80, 60)
          and th == open(os.path.join(data, imgs[1][2]), "rb").read(),
          "thumb.jpg: the collector's 80×60 thumbnail of the newest picture")
    st, h, _ = p.get(f"/api/v1/cameras/{cam}/latest.jpg", method="HEAD")
    check(st == 200 and h["content-type"] == "image/jpeg", "HEAD latest.jpg")

    # --- history ---
    st, h, body = p.get(f"/api/v1/cameras/{cam}/images")
    hist = json.loads(body)
    check(st == 200 and h["content-type"].startswith("application/json") and h.get("etag")
          and [i["id"] for i in hist["images"]] == [imgs[1][0], imgs[0][0]],
          "images: both kept pictures, newest first")
    check(all(JST.match(i["captured_at"]) for i in hist["images"]) and JST.match(hist["from"])
          and JST.match(hist["to"]), "capture times and the range in +09:00")
    first, second = hist["images"][1], hist["images"][0]
    st, h, b1 = p.get(first["url"])
    st2, h2, b2 = p.get(second["url"])
    check(st == 200 and st2 == 200 and b1 == pic1 and b2 == pic2 and h["content-type"] == "image/jpeg"
          and "max-age=86400" in h["cache-control"] and h.get("etag") != h2.get("etag"),
          f"{first['url']} and {second['url']}: each picture byte for byte, long cache, own ETag")
    st, h, t1 = p.get(first["thumb_url"])
    check(st == 200 and jpeg_size(t1) == (80, 60), f"{first['thumb_url']}: its thumbnail")
    check(first["width"] == 320 and first["height"] == 240 and first["bytes"] == len(pic1)
          and len(first["sha256"]) == 64, "size, bytes and sha256 listed")
    q = "from=" + second["captured_at"].replace("+", "%2B")
    st, _, body = p.get(f"/api/v1/cameras/{cam}/images?{q}")
    check(st == 200 and [i["id"] for i in json.loads(body)["images"]] == [second["id"]],
          "from= keeps the pictures captured from then on")
    q = "to=" + second["captured_at"].replace("+", "%2B")
    st, _, body = p.get(f"/api/v1/cameras/{cam}/images?{q}")
    check(st == 200 and [i["id"] for i in json.loads(body)["images"]] == [first["id"]],
          "to= is exclusive")
    st, _, _ = p.get(f"/api/v1/cameras/{cam}/images?from=yesterday")
    check(st == 400, "a malformed from is a 400")
    st, _, _ = p.get(f"/api/v1/cameras/{cam}/images?from=2026-01-01T00:00:00%2B09:00&to=2026-06-01T00:00:00%2B09:00")
    check(st == 400, "a span over 31 days is a 400")

    # --- unknown, missing, not a camera ---
    for path in (f"/api/v1/cameras/999999/latest.jpg", f"/api/v1/cameras/999999/images",
                 f"/api/v1/cameras/{cam}/images/999999.jpg", f"/api/v1/cameras/{cam}/images/abc.jpg",
                 f"/api/v1/cameras/{cam}/images/{imgs[0][0]}.png", f"/api/v1/cameras/0/thumb.jpg",
                 f"/api/v1/cameras/-1/latest.jpg", f"/api/v1/cameras/{cam}/images/0{imgs[0][0]}.jpg"):
        st, h, _ = p.get(path)
        check(st == 404 and "etag" not in h, f"{path}: 404, not cached")
    gauge = int(subprocess.run([SEED, db, "stations", "1", SNAPSHOT], capture_output=True, text=True,
                               check=True).stdout.split()[1])
    gid = rows(db, "SELECT id FROM stations WHERE kind = 'gauge' LIMIT 1")[0][0]
    st, _, _ = p.get(f"/api/v1/cameras/{gid}/latest.jpg")
    check(gauge == 1 and st == 404, "a gauge is not a camera (404)")
    lost = int(subprocess.run([SEED, db, "camera", "cam-lost", "1732300000", "ok"], capture_output=True,
                              text=True, check=True).stdout.split()[1])
    st, h, _ = p.get(f"/api/v1/cameras/{lost}/latest.jpg")
    check(st == 404 and "etag" not in h, "a camera whose picture file is gone: 404")

    # --- traversal ---
    for raw in (f"/api/v1/cameras/{cam}/images/..%2f..%2fsonae.db",
                f"/api/v1/cameras/{cam}/images/%2e%2e%2fcollect.conf",
                f"/api/v1/cameras/{cam}/../../../collect.conf",
                f"/api/v1/cameras/{cam}/images/..",
                f"/api/v1/cameras/{cam}/images/{imgs[0][0]}.jpg%00.png",
                f"/api/v1/cameras/{cam}%2f..%2f..%2fsonae.db/latest.jpg"):
        resp = p.raw(f"GET {raw} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        code = status_of(resp)
        check(400 <= code < 500 and b"[source." not in resp and b"SQLite format" not in resp,
              f"{raw}: refused ({code})")
    victim = os.path.join(data, imgs[0][1])
    os.unlink(victim)
    os.symlink(os.path.join(d, "collect.conf"), victim)
    # A query string of its own: past the answer kept in memory from before.
    st, _, body = p.get(f"/api/v1/cameras/{cam}/images/{imgs[0][0]}.jpg?after=symlink")
    check(st == 404 and b"[source." not in body, "a picture replaced by a symlink out of [data] dir is not served")
    log = p.log()
    check(f"/api/v1/cameras/{cam}/latest.jpg" in log, "the access log records camera requests")
    p.daemon.signal(signal.SIGTERM)
    check(p.daemon.wait(5) == 0, "the daemon exits 0 (under ASan: no leak, no bad access)")
finally:
    if p:
        p.stop()
    rmtree(d)
done("portal-camera-images")
