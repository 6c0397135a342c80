"""River cameras through the real sonae-collectd into a real SpatiaLite store,
with pictures made by test-mkjpeg (libjpeg) and served by the fixture server
on 127.0.0.1:

- a camera described by the real 川の防災情報 camera master (its still URL
  pointed at the fixture server): a new picture is stored with its
  thumbnail and a camera.image event; a 304 and identical bytes under a new
  ETag are not stored twice; an HTML page, a truncated JPEG (complete HTTP
  body) and an oversized body are refused and the last good picture kept;
- a camera re-serving one picture goes frozen (station state stale), a new
  picture clears it; a failing camera goes stale and recovers;
- retention by age and by total size, files and rows together;
- a hanging camera does not delay another.

The store is read with Python's sqlite3 (plain tables)."""

import hashlib
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from fixture_server import FixtureServer  # noqa: E402
from sonaetest import FIXTURES, Daemon, check, done, exe, rmtree, tmpdir, wait_for  # noqa: E402

MASTER = os.path.join(FIXTURES, "river", "cameras", "kawabou_scam_221320015.json")


def q(db, sql, *args):
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise
    finally:
        con.close()


def jpeg(w, h, seed, quality=85):
    return subprocess.run([exe("test-mkjpeg"), "-", str(w), str(h), str(seed), str(quality)],
                          check=True, stdout=subprocess.PIPE).stdout


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker, or None."""
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


def disk_matches(data, sid):
    """The camera's folder holds exactly the files of its rows."""
    folder = os.path.join(data, "cameras", str(sid))
    rows = images(db_path, sid)
    want = sorted(os.path.basename(p) for r in rows for p in (r[1], r[2]))
    return sorted(os.listdir(folder)) == want


def station(db, source):
    r = q(db, "SELECT id FROM stations WHERE source = ? AND kind = 'camera'", source)
    return r[0][0] if r else None


def images(db, sid):
    return q(db, "SELECT captured_at, path, thumb_path, bytes, width, height, sha256 "
                 "FROM camera_images WHERE station_id = ? ORDER BY captured_at", sid)


def cam_state(db, sid):
    r = q(db, "SELECT state FROM camera_status WHERE station_id = ?", sid)
    return r[0][0] if r else "unknown"


def station_state(db, sid):
    r = q(db, "SELECT state FROM station_status WHERE station_id = ?", sid)
    return r[0][0] if r else None


def state_events(db, sid):
    return [r[0] for r in q(db, "SELECT data FROM events WHERE type = 'camera.state' AND subject = ? "
                                "ORDER BY id", f"stations/{sid}")]


d = tmpdir()
dm = None
try:
    with FixtureServer() as srv:
        srv.hang_seconds = 120
        srv.put_file("/master/21320015.json", MASTER)
        pics = {p: jpeg(320, 240, 1000 * k) for k, p in enumerate(
            ["/live.jpg", "/frozen.jpg", "/hang.jpg", "/age.jpg", "/size.jpg", "/other.jpg"])}
        for p, b in pics.items():
            srv.put(p, b)
        srv.fault("/hang.jpg", "hang")
        srv.put("/master/bad.json", b'{"obss": []}')
        data = os.path.join(d, "data")
        conf = os.path.join(d, "sonae.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"""[store]
path = store.db
[data]
dir = data
[source.cam-live]
type = camera
interval = 10
backoff_max = 10
url = {srv.url('/master/21320015.json')}
image_url = {srv.url('/live.jpg')}
gauge_source = kawabou-keihin
max_bytes = 60000
thumb_width = 80
frozen_after = 600
stale_after = 600
[source.cam-badmaster]
type = camera
interval = 10
backoff_max = 10
url = {srv.url('/master/bad.json')}
image_url = {srv.url('/other.jpg')}
stale_after = 600
[source.cam-frozen]
type = camera
interval = 10
backoff_max = 10
image_url = {srv.url('/frozen.jpg')}
name = 内川 大宝寺橋
river = 内川
lat = 38.7270
lon = 139.8270
gauge = kriver-yamagata:0620300
frozen_after = 2
stale_after = 4
[source.cam-hang]
type = camera
interval = 10
timeout = 120
image_url = {srv.url('/hang.jpg')}
name = hang
lat = 38.7
lon = 139.8
[source.cam-other]
type = camera
interval = 10
image_url = {srv.url('/other.jpg')}
name = other
lat = 38.7
lon = 139.8
frozen_after = 0
stale_after = 600
[source.cam-age]
type = camera
interval = 10
image_url = {srv.url('/age.jpg')}
name = age
lat = 38.7
lon = 139.8
history_max_age = 3
stale_after = 600
[source.cam-size]
type = camera
interval = 10
image_url = {srv.url('/size.jpg')}
name = size
lat = 38.7
lon = 139.8
history_max_bytes = 40000
stale_after = 600
""")
        db = os.path.join(d, "store.db")
        db_path = db
        chk = subprocess.run([exe("sonae-collectd"), "-n", "-c", conf], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        check(chk.returncode == 0, "sonae-collectd -n accepts the camera sections: " + chk.stdout.strip())
        bad = os.path.join(d, "bad.conf")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("""[store]
path = bad.db
[source.cam-noname]
type = camera
image_url = https://camera.example.jp/a.jpg
lat = 38.7
lon = 139.8
[source.cam-plainhttp]
type = camera
image_url = http://camera.example.jp/a.jpg
name = x
lat = 38.7
lon = 139.8
[source.cam-badgauge]
type = camera
image_url = https://camera.example.jp/a.jpg
name = x
lat = 38.7
lon = 139.8
gauge = 0620300
[source.cam-nothing]
type = camera
name = x
""")
        chk = subprocess.run([exe("sonae-collectd"), "-n", "-c", bad], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        for sect, key in (("cam-noname", "name"), ("cam-plainhttp", "image_url"),
                          ("cam-badgauge", "gauge"), ("cam-nothing", "image_url")):
            check(chk.returncode != 0 and any(f"[source.{sect}] {key}:" in ln for ln in chk.stdout.splitlines()),
                  f"-n: a broken camera section is an error naming its key ({sect}: {key})")
        dm = Daemon("sonae-collectd", ["-c", conf], env={"SONAE_COLLECTD_SECOND_MS": "50"})

        # ---- the master camera: description, first picture, thumbnail ----
        check(wait_for(lambda: station(db, "cam-live") and images(db, station(db, "cam-live")), 15),
              "cam-live: first picture stored")
        live = station(db, "cam-live")
        row = q(db, "SELECT external_id, name, river, round(lat, 6), round(lon, 6), expected_interval_s "
                    "FROM stations WHERE id = ?", live)[0]
        check(row == ("21320015", "多摩川河口水位観測所", "多摩川", 35.536708, 139.766708, 10),
              f"cam-live: station from the real camera master ({row})")
        check(q(db, "SELECT gauge_source, gauge_external_id FROM camera_gauges WHERE camera_id = ?", live)
              == [("kawabou-keihin", "2132000400008")], "cam-live: linked to the master's obsFcd gauge")
        img = images(db, live)
        check(len(img) == 1, "cam-live: one picture")
        _, path, thumb, nbytes, w, h, sha = img[0]
        with open(os.path.join(data, path), "rb") as f:
            stored = f.read()
        check(stored == pics["/live.jpg"] and nbytes == len(stored) and (w, h) == (320, 240),
              f"cam-live: picture on disk under [data] dir as served ({path}, {w}x{h}, {nbytes} bytes)")
        check(sha == hashlib.sha256(stored).hexdigest(), "cam-live: sha256 recorded")
        with open(os.path.join(data, thumb), "rb") as f:
            tb = f.read()
        check(jpeg_size(tb) == (80, 60), f"cam-live: thumbnail {thumb} is an 80x60 JPEG")
        ev = q(db, "SELECT data FROM events WHERE type = 'camera.image' AND subject = ?", f"stations/{live}")
        check(len(ev) == 1, "cam-live: one camera.image event")
        check(wait_for(lambda: cam_state(db, live) == "ok" and station_state(db, live) == "ok", 5),
              "cam-live: camera and station state ok")

        # ---- 304 and identical bytes are not stored twice ----
        n = srv.counts("/live.jpg")["not_modified"]
        check(wait_for(lambda: srv.counts("/live.jpg")["not_modified"] >= n + 2, 10),
              "cam-live: conditional GETs answered 304")
        srv.put("/live.jpg", pics["/live.jpg"], etag='"same-bytes-new-etag"', last_modified=time.time() + 1)
        s0 = srv.counts("/live.jpg")["served"]
        check(wait_for(lambda: srv.counts("/live.jpg")["served"] >= s0 + 1, 10),
              "cam-live: the same bytes served again in full under a new ETag")
        n = srv.counts("/live.jpg")["not_modified"]
        check(wait_for(lambda: srv.counts("/live.jpg")["not_modified"] >= n + 1, 10),
              "cam-live: the next poll gets 304 for the new ETag (the same bytes were taken as an answer)")
        check(len(images(db, live)) == 1, "cam-live: 304 and identical bytes not stored twice")

        # ---- refused: HTML, truncated JPEG, oversized; the last good one stays ----
        # Each refusal is followed by the good picture again, so that the
        # damped log writes the reason of the next one.
        def refused(what, tries, reason):
            s1 = srv.counts("/live.jpg")["served"] + srv.counts("/live.jpg")["faults"]
            check(wait_for(lambda: srv.counts("/live.jpg")["served"] + srv.counts("/live.jpg")["faults"]
                           >= s1 + tries, 10), f"cam-live: {what} served {tries} times")
            got = images(db, live)
            check(len(got) == 1 and got[0][6] == sha, f"cam-live: {what} refused, the last good picture kept")
            check(wait_for(lambda: reason in dm.output(), 5), f"cam-live: refused because '{reason}'")
            srv.clear_fault("/live.jpg")
            r = dm.output().count("cam-live: polls succeed again")
            srv.put("/live.jpg", pics["/live.jpg"], etag=f'"again-{tries}-{len(what)}"')
            check(wait_for(lambda: dm.output().count("cam-live: polls succeed again") > r, 10),
                  "cam-live: polls succeed again with the good picture")
            check(len(images(db, live)) == 1, "cam-live: the good picture not stored twice")

        srv.fault("/live.jpg", "html")
        refused("an HTML error page (200 text/html)", 2, "Not a JPEG file")
        good2 = jpeg(320, 240, 7)
        cut = good2[: len(good2) * 2 // 3]
        srv.put("/live.jpg", cut, content_type="image/jpeg")
        refused(f"a truncated JPEG as a complete body ({len(cut)} of {len(good2)} bytes)", 2,
                "Premature end of JPEG file")
        big = jpeg(1600, 1200, 9, 100)
        check(len(big) > 60000, f"oversized picture is {len(big)} bytes, over max_bytes 60000")
        srv.put("/live.jpg", big)
        refused("an oversized body", 2, "larger than")
        check(cam_state(db, live) == "ok", "cam-live: still ok (within stale_after) after refusals")
        srv.put("/live.jpg", good2)
        check(wait_for(lambda: len(images(db, live)) == 2, 10), "cam-live: the next good picture is stored")
        check(images(db, live)[1][6] == hashlib.sha256(good2).hexdigest(), "cam-live: it is the new one")

        # ---- a master that is not one: refused with its reason, then read ----
        check(wait_for(lambda: "cam-badmaster: poll bad data (camera master" in dm.output() and
                       "no obsInfo object" in dm.output(), 10),
              "cam-badmaster: a JSON that is not a camera master refused with its reason")
        check(station(db, "cam-badmaster") is None, "cam-badmaster: no station without a description")
        with open(MASTER, "rb") as f:
            srv.put("/master/bad.json", f.read())
        check(wait_for(lambda: station(db, "cam-badmaster") is not None and
                       images(db, station(db, "cam-badmaster")), 10),
              "cam-badmaster: described and pictured once the master is right")

        # ---- a hanging camera does not delay another ----
        other = station(db, "cam-other")
        check(wait_for(lambda: srv.counts("/hang.jpg")["total"] >= 1, 10), "cam-hang: its request hangs")
        t_hang = time.monotonic()
        for k in range(1, 4):
            srv.put("/other.jpg", jpeg(320, 240, 5000 + k))
            check(wait_for(lambda: other and len(images(db, other)) == k + 1, 3),
                  f"cam-other: picture {k + 1} stored while cam-hang hangs")
        check(time.monotonic() - t_hang < 10 and srv.counts("/hang.jpg")["total"] == 1,
              "cam-other got three pictures inside cam-hang's one pending request")
        hang = station(db, "cam-hang")
        check(hang is not None and not images(db, hang), "cam-hang: station known, no picture")

        # ---- frozen: the same picture re-served ----
        fr = station(db, "cam-frozen")
        check(fr is not None and q(db, "SELECT name, river FROM stations WHERE id = ?", fr)
              == [("内川 大宝寺橋", "内川")], "cam-frozen: station from the config")
        check(q(db, "SELECT gauge_source, gauge_external_id FROM camera_gauges WHERE camera_id = ?", fr)
              == [("kriver-yamagata", "0620300")], "cam-frozen: linked to the configured gauge")
        check(wait_for(lambda: cam_state(db, fr) == "frozen", 10), "cam-frozen: frozen after 2 s of one picture")
        check(station_state(db, fr) == "stale", "cam-frozen: the station's API state is stale while frozen")
        check(len(images(db, fr)) == 1, "cam-frozen: the re-served picture stored once")
        srv.put("/frozen.jpg", jpeg(320, 240, 42))
        check(wait_for(lambda: any('"from":"frozen","to":"ok"' in e for e in state_events(db, fr)), 10),
              "cam-frozen: a new picture clears frozen (camera.state frozen -> ok)")
        check(len(images(db, fr)) == 2, "cam-frozen: the new picture stored")

        # ---- stale: the camera stops answering ----
        srv.fault("/frozen.jpg", "500")
        check(wait_for(lambda: cam_state(db, fr) == "stale", 15), "cam-frozen: stale after 4 s of errors")
        check(station_state(db, fr) == "stale", "cam-frozen: station stale too")
        ev = state_events(db, fr)
        check(ev and '"to":"stale"' in ev[-1], f"cam-frozen: camera.state event to stale ({ev[-1] if ev else ''})")
        srv.clear_fault("/frozen.jpg")
        srv.put("/frozen.jpg", jpeg(320, 240, 43))
        check(wait_for(lambda: any('"from":"stale","to":"ok"' in e for e in state_events(db, fr)), 15),
              "cam-frozen: stale cleared by a new picture (camera.state stale -> ok)")

        # ---- retention by age ----
        age = station(db, "cam-age")
        for k in range(1, 6):
            srv.put("/age.jpg", jpeg(320, 240, 7000 + k))
            check(wait_for(lambda: len(q(db, "SELECT 1 FROM events WHERE type = 'camera.image' AND "
                                             "subject = ?", f"stations/{age}")) >= k + 1, 5),
                  f"cam-age: picture {k + 1} taken in")
            time.sleep(0.9)
        n_ev = len(q(db, "SELECT 1 FROM events WHERE type = 'camera.image' AND subject = ?", f"stations/{age}"))
        check(n_ev == 6, f"cam-age: six pictures taken in ({n_ev} camera.image events)")
        check(wait_for(lambda: all(time.time() - r[0] <= 4 for r in images(db, age)[:-1]), 5),
              "cam-age: pictures older than history_max_age removed from the store")
        kept = images(db, age)
        check(1 <= len(kept) < 6, f"cam-age: {len(kept)} of 6 pictures kept")
        # Rows go first, files right after: wait for the two to agree.
        check(wait_for(lambda: disk_matches(data, age), 5),
              "cam-age: files on disk are exactly the kept rows (pictures and thumbnails)")
        time.sleep(4)
        kept = images(db, age)
        check(len(kept) == 1 and kept[0][6] == hashlib.sha256(jpeg(320, 240, 7005)).hexdigest(),
              "cam-age: the newest picture stays however old")
        check(wait_for(lambda: disk_matches(data, age), 5), "cam-age: and its files")

        # ---- retention by size ----
        size = station(db, "cam-size")
        for k in range(1, 9):
            srv.put("/size.jpg", jpeg(320, 240, 9000 + k))
            check(wait_for(lambda: len(q(db, "SELECT 1 FROM events WHERE type = 'camera.image' AND "
                                             "subject = ?", f"stations/{size}")) >= k + 1, 5),
                  f"cam-size: picture {k + 1} taken in")
        folder = os.path.join(data, "cameras", str(size))

        def disk_total():
            return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))

        check(wait_for(lambda: disk_matches(data, size) and disk_total() <= 40000, 5),
              "cam-size: files on disk are exactly the kept rows, within history_max_bytes")
        kept = images(db, size)
        total = disk_total()
        check(1 < len(kept) < 9, f"cam-size: {len(kept)} of 9 pictures kept, {total} bytes on disk <= 40000")
        pair = max(os.path.getsize(os.path.join(folder, os.path.basename(r[1]))) +
                   os.path.getsize(os.path.join(folder, os.path.basename(r[2]))) for r in kept)
        check(total + pair > 40000, f"cam-size: no more removed than needed (one picture ~{pair} bytes)")
        check(kept[-1][6] == hashlib.sha256(jpeg(320, 240, 9008)).hexdigest(), "cam-size: the newest kept")

        # ---- restart: the last good picture is read back, not stored again ----
        check(dm.proc.poll() is None, "sonae-collectd still running")
        dm.stop()
        n_img = len(images(db, live))
        n_ev = len(q(db, "SELECT 1 FROM events WHERE type = 'camera.image'"))
        s0 = srv.counts("/live.jpg")["served"]
        dm = Daemon("sonae-collectd", ["-c", conf], env={"SONAE_COLLECTD_SECOND_MS": "50"})
        check(wait_for(lambda: srv.counts("/live.jpg")["served"] > s0, 10),
              "restart: cam-live fetched in full (validators are not kept across restarts)")
        n = srv.counts("/live.jpg")["not_modified"]
        check(wait_for(lambda: srv.counts("/live.jpg")["not_modified"] > n, 10), "restart: then 304")
        check(len(images(db, live)) == n_img, "restart: the same picture not stored again")
        check(len(q(db, "SELECT 1 FROM events WHERE type = 'camera.image'")) == n_ev,
              "restart: no camera.image event for a picture already stored")
        check(wait_for(lambda: cam_state(db, live) == "ok", 5), "restart: cam-live still ok")
        check(dm.proc.poll() is None, "sonae-collectd still running")
    dm.stop()
    dm = None
    done("cameras")
finally:
    if dm:
        print(dm.output()[-3000:])
        dm.stop()
    rmtree(d)
