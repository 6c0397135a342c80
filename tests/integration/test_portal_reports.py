"""Field reports against a real sonae-portald and SpatiaLite file: create,
status new → confirmed → handled, publication with the location rounded
and photos withheld, and photos — a JPEG authored with an Exif GPS block
(jpeg-author, libjpeg), a PNG with a tEXt chunk, a non-image, an oversized
file, a JPEG/HTML/ZIP polyglot and a truncated JPEG.  Stored photos must
decode, carry no metadata or trailing payload, sit under [data] dir with
generated names, and stay out of the web root.  Every write is audited.
With --postgis (portal-reports-postgis) the same on a PostgreSQL database
(tests/integration/storeq.py)."""

import json
import os
import re
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal, write_conf  # noqa: E402
from sonaetest import BUILD, SCALE, check, done, exe, rmtree, tmpdir  # noqa: E402
from storeq import Store  # noqa: E402

AUTHOR = os.path.join(BUILD, "tests", "jpeg-author")


def exif_gps(lat, lon):
    """An APP1 Exif block (TIFF, big-endian) with Make and a GPS IFD, as
    the Exif 2.3 specification lays it out (CIPA DC-008)."""
    def rat3(v):
        d = int(v)
        m = int((v - d) * 60)
        s = round(((v - d) * 60 - m) * 60 * 100)
        return struct.pack(">IIIIII", d, 1, m, 1, s, 100)
    make = b"SonaeTestCam\0"
    # IFD0 at 8: 2 entries (Make, GPS pointer), then next-IFD 0.
    ifd0 = 8
    ifd0_len = 2 + 2 * 12 + 4
    make_off = ifd0 + ifd0_len
    gps = make_off + len(make)
    gps_len = 2 + 4 * 12 + 4
    lat_off = gps + gps_len
    lon_off = lat_off + 24
    t = b"MM\0*" + struct.pack(">I", ifd0)
    t += struct.pack(">H", 2)
    t += struct.pack(">HHII", 0x010F, 2, len(make), make_off)
    t += struct.pack(">HHII", 0x8825, 4, 1, gps)
    t += struct.pack(">I", 0) + make
    t += struct.pack(">H", 4)
    t += struct.pack(">HHI", 0x0001, 2, 2) + b"N\0\0\0"
    t += struct.pack(">HHII", 0x0002, 5, 3, lat_off)
    t += struct.pack(">HHI", 0x0003, 2, 2) + b"E\0\0\0"
    t += struct.pack(">HHII", 0x0004, 5, 3, lon_off)
    t += struct.pack(">I", 0) + rat3(lat) + rat3(lon)
    return b"Exif\0\0" + t


def png(w, h, text):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + bytes(v for x in range(w) for v in (x * 6 % 256, y * 8 % 256, 90))
                   for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\0" + text) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


d = tmpdir("sonae-portal-reports-")

app1 = os.path.join(d, "app1.bin")
with open(app1, "wb") as f:
    f.write(exif_gps(38.727512, 139.826734))
exif_jpg = os.path.join(d, "exif.jpg")
plain_jpg = os.path.join(d, "plain.jpg")
big_jpg = os.path.join(d, "big.jpg")
subprocess.run([AUTHOR, exif_jpg, "320", "240", app1], check=True)
subprocess.run([AUTHOR, plain_jpg, "64", "48"], check=True)
exif_bytes = open(exif_jpg, "rb").read()
check(exif_bytes[:2] == b"\xff\xd8" and b"\xff\xe1" in exif_bytes[:8] and b"Exif\0\0" in exif_bytes
      and b"SonaeTestCam" in exif_bytes, "the authored JPEG carries an Exif block with GPS")

store = Store(d)
conf = write_conf(d, 0, extra=store.conf)
p = None
try:
    for name, role in (("ed1", "editor"), ("view1", "viewer")):
        r = subprocess.run([exe("sonae"), "-c", conf, "user", "add", name, "--role", role],
                           input=f"{name}-password-01\n", capture_output=True, text=True,
                           timeout=60 * SCALE)
        check(r.returncode == 0, f"user {name} ({role})")
    p = Portal(d, extra=store.conf)

    def call(method, path, body=None, cookie=None, csrf=None, ctype=None):
        h = {}
        if body is not None:
            h["Content-Type"] = ctype or "application/json"
        if cookie:
            h["Cookie"] = cookie
        if csrf:
            h["X-CSRF-Token"] = csrf
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        st, hd, out = p.get(path, h, method=method, body=data)
        return st, hd, out

    def js(r):
        return r[0], json.loads(r[2]) if r[2] else None

    st, hd, out = call("POST", "/api/v1/auth/login", {"name": "ed1", "password": "ed1-password-01"})
    ed, csrf = hd["set-cookie"].split(";")[0], json.loads(out)["csrf"]
    st, hd, out = call("POST", "/api/v1/auth/login", {"name": "view1", "password": "view1-password-01"})
    view, vcsrf = hd["set-cookie"].split(";")[0], json.loads(out)["csrf"]
    writes = 2  # the two logins

    rep = {"lon": 139.826734, "lat": 38.727512, "category": "冠水", "severity": 2,
           "text": "馬場町の交差点が約20cm冠水"}
    st, _ = js(call("POST", "/api/v1/reports", rep))
    check(st == 401, "a report without login is refused")
    st, _ = js(call("POST", "/api/v1/reports", rep, cookie=view, csrf=vcsrf))
    check(st == 403, "a viewer may not register a report")
    st, _ = js(call("POST", "/api/v1/reports", rep, cookie=ed))
    check(st == 403, "a report without CSRF is refused")
    st, _ = js(call("POST", "/api/v1/reports", dict(rep, severity=4), cookie=ed, csrf=csrf))
    check(st == 400, "severity 4 is refused")
    st, r1 = js(call("POST", "/api/v1/reports", rep, cookie=ed, csrf=csrf))
    check(st == 201 and r1["status"] == "new" and r1["public"] is False, "editor registers a report: new, staff-only")
    writes += 1
    rid = r1["id"]

    # --- photos ---
    st, _ = js(call("POST", f"/api/v1/reports/{rid}/photos", b"hello, not an image\n" * 10,
                    cookie=ed, csrf=csrf, ctype="image/jpeg"))
    check(st == 415, "a text file sent as image/jpeg is refused (415)")
    trunc = exif_bytes[:len(exif_bytes) // 3]
    st, _ = js(call("POST", f"/api/v1/reports/{rid}/photos", b"\xff\xd8\xff\xe0" + os.urandom(4000),
                    cookie=ed, csrf=csrf, ctype="image/jpeg"))
    check(st == 415, "JPEG magic followed by noise does not decode: refused")
    big = b"\xff\xd8\xff" + b"\0" * (9 * 1024 * 1024)
    st, _ = js(call("POST", f"/api/v1/reports/{rid}/photos", big, cookie=ed, csrf=csrf, ctype="image/jpeg"))
    check(st == 413, "a 9 MB photo is refused (413)")
    st, out = js(call("POST", f"/api/v1/reports/{rid}/photos", exif_bytes, cookie=ed, csrf=csrf,
                      ctype="image/jpeg"))
    check(st == 201, "the Exif-laden JPEG is accepted")
    writes += 1
    poly = (open(plain_jpg, "rb").read() + b"<html><script>alert('polyglot')</script></html>"
            + b"PK\x03\x04polyglot-zip-payload")
    st, _ = js(call("POST", f"/api/v1/reports/{rid}/photos", poly, cookie=ed, csrf=csrf, ctype="image/jpeg"))
    check(st == 201, "a JPEG/HTML/ZIP polyglot decodes as a JPEG and is accepted (re-encoded)")
    writes += 1
    pngb = png(40, 30, b"38.727512,139.826734 home of the reporter")
    st, _ = js(call("POST", f"/api/v1/reports/{rid}/photos", pngb, cookie=ed, csrf=csrf, ctype="image/png"))
    check(st == 201, "a PNG with a tEXt chunk is accepted")
    writes += 1
    st, _ = js(call("POST", f"/api/v1/reports/{rid}/photos", open(plain_jpg, "rb").read(),
                    cookie=ed, csrf=csrf, ctype="image/jpeg"))
    check(st == 409, "a fourth photo is refused (at most 3)")
    st, _ = js(call("POST", f"/api/v1/reports/{rid}/photos", trunc, cookie=ed, csrf=csrf, ctype="image/jpeg"))
    check(st in (409, 415), "a truncated JPEG is refused either way")

    pdir = os.path.join(d, "data", "reports")
    files = sorted(os.listdir(pdir))
    check(len(files) == 3 and all(re.fullmatch(r"[0-9a-f]{32}\.jpg", f) for f in files),
          f"three stored photos under [data] dir/reports with generated names ({files[0]} …)")
    check(not any(f for _, _, fs in os.walk(os.path.join(d, "web")) for f in fs), "nothing lands in the web root")
    stored = [open(os.path.join(pdir, f), "rb").read() for f in files]
    check(all(s[:2] == b"\xff\xd8" and s.rstrip(b"\0")[-2:] == b"\xff\xd9" for s in stored),
          "every stored photo is a complete JPEG")
    check(all(b"Exif" not in s and b"\xff\xe1" not in s and b"SonaeTestCam" not in s for s in stored),
          "no Exif/APP1 block (no GPS, no camera) survives")
    check(all(b"script" not in s and b"PK\x03\x04" not in s and b"polyglot" not in s and b"home of" not in s
              for s in stored), "no polyglot payload or PNG text survives")
    rows = store.q("SELECT path, content_type FROM report_photos")
    check(len(rows) == 3 and all(p_.startswith("reports/") and c == "image/jpeg" for p_, c in rows),
          "the store keeps relative paths of re-encoded JPEGs")
    st, hd, img = call("GET", f"/api/v1/reports/{rid}/photos/1", cookie=view)
    check(st == 200 and hd["content-type"] == "image/jpeg" and img in stored, "staff fetch a photo")
    st, _, _ = call("GET", f"/api/v1/reports/{rid}/photos/1")
    check(st == 401, "photos are staff-only")
    st, _, _ = call("GET", f"/{files[0]}")
    st2, _, _ = call("GET", f"/reports/{files[0]}")
    check(st == 404 and st2 == 404, "the photo files are not reachable as static files")

    # --- status and publication ---
    st, lst = js(call("GET", "/api/v1/reports/public"))
    check(st == 200 and lst["reports"] == [], "a new report is not public")
    st, out = js(call("POST", f"/api/v1/reports/{rid}", {"status": "confirmed", "public": True},
                      cookie=ed, csrf=csrf))
    check(st == 200 and out["status"] == "confirmed" and out["public"], "editor confirms and publishes")
    writes += 1
    st, _ = js(call("POST", f"/api/v1/reports/{rid}", {"status": "new"}, cookie=ed, csrf=csrf))
    check(st == 409, "status never goes back (confirmed → new refused)")
    st, _ = js(call("POST", f"/api/v1/reports/{rid}", {"status": "closed"}, cookie=ed, csrf=csrf))
    check(st == 400, "an unknown status is refused")
    st, lst = js(call("GET", "/api/v1/reports/public"))
    pr = lst["reports"][0]
    check(pr["lon"] == 139.83 and pr["lat"] == 38.73 and "photos" not in pr and pr["text"] == rep["text"],
          "the public view rounds the location to 0.01° and withholds photos")
    st, lst = js(call("GET", "/api/v1/reports", cookie=view))
    sr = lst["reports"][0]
    check(sr["lon"] == rep["lon"] and sr["photos"] == [1, 2, 3], "staff see the exact point and the photos")
    st, out = js(call("POST", f"/api/v1/reports/{rid}", {"status": "handled"}, cookie=ed, csrf=csrf))
    check(st == 200 and out["status"] == "handled", "editor marks it handled")
    writes += 1

    n = store.q("SELECT count(*) FROM audit_log WHERE actor != 'cli'")[0][0]
    check(n == writes, f"the audit log has one entry per write ({n} of {writes})")
    ph = store.q("SELECT count(*) FROM audit_log WHERE action = 'report.photo'")[0][0]
    check(ph == 3, "each stored photo is audited")
finally:
    if p:
        p.stop()
    store.close()

rmtree(d)
done(store.name("portal-reports"))
