"""/api/v1/cameras against a real store: a camera written through the store
API (station, one image, a state) is listed with its state, the frozen flag
and its newest image; a gauge is not listed as a camera."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from portaltest import Portal  # noqa: E402
from sonaetest import BUILD, check, done  # noqa: E402

SEED = os.path.join(BUILD, "tests", "portal-seed")


def seed(db, *args):
    r = subprocess.run([SEED, db, *map(str, args)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r.stdout.split()[1:]


p = Portal()
try:
    db = os.path.join(p.dir, "sonae.db")
    frozen_id = int(seed(db, "camera", "cam-a", 1732300000, "frozen")[0])
    ok_id = int(seed(db, "camera", "cam-b", 1732300600, "ok")[0])
    st, _, body = p.get("/api/v1/cameras")[:3]
    check(st == 200, f"cameras answers 200 (got {st})")
    fc = json.loads(body)
    by_id = {f["id"]: f for f in fc["features"]}
    check(set(by_id) == {frozen_id, ok_id}, f"both cameras and only them listed: {sorted(by_id)}")
    fa = by_id.get(frozen_id, {}).get("properties", {})
    fb = by_id.get(ok_id, {}).get("properties", {})
    check(fa.get("state") == "frozen" and fa.get("frozen") is True, f"frozen camera flagged: {fa}")
    check(fb.get("state") == "ok" and fb.get("frozen") is False, f"ok camera not frozen: {fb}")
    check((fa.get("latest") or {}).get("captured_at") == "2024-11-23T03:26:40+09:00",
          f"capture time in JST: {fa.get('latest')}")
    check((fb.get("latest") or {}).get("width") == 640, "image size listed")
    check("国土交通省" in fc.get("attribution", ""), "attribution names 国土交通省")
finally:
    p.daemon.stop()
done("portal-cameras")
