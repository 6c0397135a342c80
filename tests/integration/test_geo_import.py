"""`sonae import` end to end: a real config and store, the real GSI
shelters and JMA area files, the authored A31/A33 layers.  Checks the exit
status, the report line, progress on stderr, the rows as the files have
them, and that a refused file changes nothing.  The store is a SpatiaLite
file, or with --postgis a PostgreSQL database (tests/integration/storeq.py);
its rows are read back on a connection of the test's own, plain columns
only."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sonaetest import FIXTURES, SOURCE, check, done, exe, rmtree, tmpdir  # noqa: E402
from storeq import Store  # noqa: E402

AUTH = os.path.join(SOURCE, "tests", "fixtures", "geo")


def run(conf, *args):
    p = subprocess.run([exe("sonae"), "-c", conf, "import", *args], capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    d = tmpdir()
    store = Store(d)
    rows = store.q
    try:
        conf = os.path.join(d, "sonae.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"[store]\npath = {os.path.basename(store.db)}\n{store.conf}")

        # Usage errors: exit 2, nothing opened.
        rc, _, err = run(conf, "hazard")
        check(rc == 2 and "usage" in err, "import without FILE is a usage error")
        rc, _, err = run(conf, "hazard", "x.shp", "--bogus")
        check(rc == 2, "an unknown option is a usage error")

        # The real shelter files: counts as in the files, progress shown.
        em = os.path.join(FIXTURES, "gis", "shelters", "gsi_emergency_062031_tsuruoka.geojson")
        with open(em, encoding="utf-8") as f:
            feats = json.load(f)["features"]
        n_em = len(feats)
        rc, out, err = run(conf, "shelters", em)
        check(rc == 0, f"emergency shelters imported ({err.strip()})")
        check(f"imported shelters: {n_em} of {n_em}" in out, f"report line: {out.strip()}")
        check("取り込み中" in err and "100%" in err, "progress on stderr")
        # Each shelter as its feature has it: name, place, 地震 and 洪水.
        want = sorted((p["共通ID"], p["施設・場所名"], x, y, int(p["地震"] == "1"),
                       int(p["洪水"] == "1"))
                      for p, (x, y) in ((f["properties"], f["geometry"]["coordinates"])
                                        for f in feats))
        got = sorted((c, n, float(x), float(y), e, fl) for c, n, x, y, e, fl in
                     rows("SELECT common_id, name, lon, lat, earthquake, flood FROM shelters"))
        check(len(got) == n_em and all(
            g[:2] == w[:2] and g[4:] == w[4:] and abs(g[2] - w[2]) < 1e-9
            and abs(g[3] - w[3]) < 1e-9 for g, w in zip(got, want)),
            f"the {n_em} shelters in the store as in the file")

        # A hazard layer, then a broken edition under the same name.
        rc, out, err = run(conf, "hazard", os.path.join(AUTH, "a31_max_6668.shp"),
                           "--version", "2016")
        check(rc == 0 and "A31_flood_max version 2016: 2 features" in out, out + err)
        before = rows("SELECT id, name, version, active FROM hazard_layers ORDER BY id")
        nfeat = rows("SELECT count(*) FROM hazard_features")[0][0]
        for bad, what in (("bad_collapsed.geojson", "地物 1"),
                          ("bad_missing_rank.geojson", "A31a_205"),
                          ("bad_noprj.shp", "unknown CRS"),
                          ("bad_empty.geojson", "empty")):
            rc, out, err = run(conf, "hazard", os.path.join(AUTH, bad), "--version", "new")
            check(rc == 1 and what in err and "nothing changed" in err,
                  f"{bad} refused with a clear error ({err.strip()})")
        check(rows("SELECT id, name, version, active FROM hazard_layers ORDER BY id") == before,
              "layers unchanged after refused imports: 2016 still active")
        check(rows("SELECT count(*) FROM hazard_features")[0][0] == nfeat,
              "no features left behind by refused imports")

        # The same version twice is refused.
        rc, _, err = run(conf, "hazard", os.path.join(AUTH, "a31_max_6668.shp"),
                         "--version", "2016")
        check(rc == 1 and "version exists" in err, "an existing version is refused")

        # Old datum: accepted with the accuracy warning on stderr.
        rc, out, err = run(conf, "hazard", os.path.join(AUTH, "a33_jgd2000_4612.geojson"))
        check(rc == 0 and "JGD2000" in err and "±1 m" in err, "JGD2000 accepted with a warning")

        # Areas: the code table and the 鶴岡市 polygon.
        rc, out, err = run(conf, "areas", os.path.join(FIXTURES, "jma_area_codes", "CityCode.csv"))
        check(rc == 0, "JMA code table imported")
        check(rows("SELECT code FROM area_codes WHERE split_of = '0620300' ORDER BY code")
              == [("0620311",), ("0620312",)], "split codes of 鶴岡市 joined to 0620300")
        rc, out, err = run(conf, "areas", os.path.join(FIXTURES, "gis", "jma_area_polygons",
                                                        "class20_0620300_tsuruoka.geojson"))
        check(rc == 0 and rows("SELECT name, lg_code, town_code FROM areas") ==
              [("鶴岡市", "062031", "06203")], "鶴岡市 polygon with its codes")

        # Addresses in Shift_JIS; a UTF-16 file is refused.
        rc, out, err = run(conf, "addresses", os.path.join(AUTH, "isj_oaza_06203_sjis.csv"))
        check(rc == 0 and "Shift_JIS" in err, "位置参照情報 CSV in Shift_JIS imported")
        rc, out, err = run(conf, "addresses", os.path.join(AUTH, "bad_isj_utf16.csv"))
        check(rc == 1 and "UTF-16" in err, "UTF-16 CSV refused")
        rc, out, err = run(conf, "volcano", os.path.join(AUTH, "bad_empty.geojson"))
        check(rc == 1, "an unknown kind is refused")
    finally:
        store.close()
        rmtree(d)
    return done(store.name("geo-import-cli"))


if __name__ == "__main__":
    sys.exit(main())
