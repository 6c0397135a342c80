"""`sonae jma parse` over every JMA telegram of the shared fixtures.

Each file's JSON line is compared, field by field, with an independent
reading of the same file written here with xml.etree (the Python standard
library), so the C parser and this test only share the contract, not code.
The levels are checked against JMA's own words: the 「レベルN」 of an R06
name, and for the older telegrams the 警戒レベル相当 of the names in the
Cabinet Office guideline, never against the C level table.

Skipped on purpose: jma_xml/schema/ holds the XSD set and the dictionary
(.xls), which are not telegrams."""

import glob
import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sonaetest import FIXTURES, check, done, exe  # noqa: E402

JMA = os.path.join(FIXTURES, "jma_xml")
FIELDS = ["title", "status", "editorial_office", "publishing_office", "datetime", "head_title",
          "report_datetime", "target_datetime", "event_id", "info_type", "serial", "info_kind",
          "headline", "warnings", "earthquake", "tsunami"]
WS = " \t\r\n"
# Contract field, parent element, element: the header fields.
HEADER = [("title", "Control", "Title"), ("status", "Control", "Status"),
          ("editorial_office", "Control", "EditorialOffice"),
          ("publishing_office", "Control", "PublishingOffice"), ("datetime", "Control", "DateTime"),
          ("head_title", "Head", "Title"), ("report_datetime", "Head", "ReportDateTime"),
          ("target_datetime", "Head", "TargetDateTime"), ("event_id", "Head", "EventID"),
          ("info_type", "Head", "InfoType"), ("serial", "Head", "Serial"),
          ("info_kind", "Head", "InfoKind")]


def local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def kids(e, name):
    return [] if e is None else [c for c in e if local(c.tag) == name]


def kid(e, name):
    k = kids(e, name)
    return k[0] if k else None


def text(e):
    if e is None:
        return None
    t = "".join(e.itertext()).strip(WS)
    return t or None


def attr(e, name):
    v = e.get(name)
    return v if v else None


# --- levels from JMA's words, not from codes ---------------------------------

DIGITS = {"１": 1, "２": 2, "３": 3, "４": 4, "５": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
LEVEL_NAME = re.compile(r"^(?:警戒)?レベル([１-５1-5])(?!未満)")
# 警戒レベル相当情報 of the H27 telegrams (内閣府 避難情報に関するガイドライン).
H27_WEATHER = {"大雨特別警報": 5, "大雨警報": 3, "洪水警報": 3, "高潮特別警報": 4, "高潮警報": 4,
               "大雨注意報": 2, "洪水注意報": 2, "高潮注意報": 2}
H27_RIVER = {"氾濫注意情報": 2, "氾濫警戒情報": 3, "氾濫危険情報": 4, "氾濫発生情報": 5}


def family(control_title):
    t = control_title or ""
    if "時系列" in t:
        return "outlook"
    if t.startswith("気象警報・注意報") or t.startswith("気象特別警報"):
        return "weather"
    if t == "土砂災害警戒情報":
        return "landslide"
    if t in ("指定河川洪水予報", "水位周知河川に関する情報"):
        return "river"
    return "other"


def expected_level(fam, name):
    if not name:
        return None
    m = LEVEL_NAME.match(name)
    if m and fam in ("weather", "landslide", "river"):
        return DIGITS[m.group(1)]
    if fam == "weather":
        return H27_WEATHER.get(name)
    if fam == "landslide":
        return 4 if name == "警戒" else None
    if fam == "river":
        for k, v in H27_RIVER.items():
            if name.startswith(k) and "解除" not in name:
                return v
    return None


# --- the independent reading --------------------------------------------------

COORD = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?/$")


def read_earthquake(body):
    eq = kid(body, "Earthquake")
    if eq is None:
        return None
    area = kid(kid(eq, "Hypocenter"), "Area")
    lat = lon = depth = None
    for c in kids(area, "Coordinate"):
        if "度分" in (c.get("type") or ""):
            continue
        m = COORD.match(text(c) or "")
        if m:
            lat, lon = float(m.group(1)), float(m.group(2))
            if m.group(3) is not None:
                depth = -float(m.group(3)) / 1000.0
        break
    mag = None
    t = text(kid(eq, "Magnitude"))
    if t is not None:
        try:
            v = float(t)
            mag = None if math.isnan(v) or math.isinf(v) else v
        except ValueError:
            mag = None
    maxint = None
    for inten in kids(body, "Intensity"):
        maxint = text(kid(kid(inten, "Observation"), "MaxInt"))
        if maxint is not None:
            break
    return {"origin_time": text(kid(eq, "OriginTime")), "hypocenter_name": text(kid(area, "Name")),
            "lat": lat, "lon": lon, "depth_km": depth, "magnitude": mag, "max_intensity": maxint}


def read(path):
    root = ET.parse(path).getroot()
    control, head, body = kid(root, "Control"), kid(root, "Head"), kid(root, "Body")
    fam = family(text(kid(control, "Title")))
    parts = {"Control": control, "Head": head}
    out = {f: text(kid(parts[part], el)) for f, part, el in HEADER}
    out["headline"] = text(kid(kid(head, "Headline"), "Text"))
    warnings = []
    for w in kids(body, "Warning"):
        for item in kids(w, "Item"):
            areas = []
            for c in item:
                if local(c.tag) == "Area":
                    areas.append(c)
                elif local(c.tag) == "Areas":
                    areas.extend(kids(c, "Area"))
            for k in kids(item, "Kind"):
                name = text(kid(k, "Name"))
                for a in areas:
                    warnings.append({
                        "warning_type": attr(w, "type"),
                        "area_code": text(kid(a, "Code")), "area_name": text(kid(a, "Name")),
                        "kind_code": text(kid(k, "Code")), "kind_name": name,
                        "kind_status": text(kid(k, "Status")),
                        "level": expected_level(fam, name),
                    })
    out["warnings"] = warnings
    out["earthquake"] = read_earthquake(body)
    tsunami = []
    for t in kids(body, "Tsunami"):
        for item in kids(kid(t, "Forecast"), "Item"):
            a = kid(item, "Area")
            k = kid(kid(item, "Category"), "Kind")
            tsunami.append({"area_code": text(kid(a, "Code")), "area_name": text(kid(a, "Name")),
                            "kind_code": text(kid(k, "Code")), "kind_name": text(kid(k, "Name"))})
    out["tsunami"] = tsunami
    return out


def same_number(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 1e-9


def compare(name, got, want):
    check(list(got.keys()) == FIELDS, f"{name}: exactly the contract fields, in order")
    for f in FIELDS[:13]:
        check(got[f] == want[f], f"{name}: {f} = {want[f]!r} (got {got[f]!r})")
    check(len(got["warnings"]) == len(want["warnings"]),
          f"{name}: {len(want['warnings'])} warning entries (got {len(got['warnings'])})")
    for i, (g, w) in enumerate(zip(got["warnings"], want["warnings"])):
        if g != w:
            check(False, f"{name}: warning #{i} is {w!r} (got {g!r})")
    if want["warnings"]:
        check(True, f"{name}: all {len(want['warnings'])} warning entries match")
    ge, we = got["earthquake"], want["earthquake"]
    check((ge is None) == (we is None), f"{name}: earthquake present = {we is not None}")
    if we is not None:
        for f in ("origin_time", "hypocenter_name", "max_intensity"):
            check(ge[f] == we[f], f"{name}: earthquake.{f} = {we[f]!r} (got {ge[f]!r})")
        for f in ("lat", "lon", "depth_km", "magnitude"):
            check(same_number(ge[f], we[f]), f"{name}: earthquake.{f} = {we[f]!r} (got {ge[f]!r})")
    check(got["tsunami"] == want["tsunami"], f"{name}: {len(want['tsunami'])} tsunami entries match")


def main():
    files = sorted(glob.glob(os.path.join(JMA, "official_samples", "*.xml")) +
                   glob.glob(os.path.join(JMA, "operational", "*.xml")))
    others = [p for p in glob.glob(os.path.join(JMA, "**", "*"), recursive=True)
              if os.path.isfile(p) and p not in files and os.path.dirname(p) != JMA]
    check(all(os.path.basename(os.path.dirname(p)) == "schema" for p in others),
          f"every file outside schema/ is read ({len(files)} telegrams; skipped {len(others)} "
          "schema/dictionary files, which are not telegrams)")
    check(len(files) >= 280, f"the fixtures hold the expected telegrams ({len(files)})")
    p = subprocess.run([exe("sonae"), "jma", "parse"] + files, capture_output=True, timeout=300)
    err = p.stderr.decode("utf-8", "replace")
    check(p.returncode == 0, f"sonae jma parse exits 0 over all fixtures (stderr: {err[:500]})")
    refused = [l for l in err.splitlines() if "refused" in l]
    check(not refused, f"no fixture is refused ({refused[:3]})")
    lines = p.stdout.decode("utf-8").splitlines()
    check(len(lines) == len(files), f"one JSON line per file ({len(lines)} for {len(files)})")
    n_warn = n_eq = n_ts = 0
    for path, line in zip(files, lines):
        got = json.loads(line)
        want = read(path)
        compare(os.path.basename(path), got, want)
        n_warn += len(want["warnings"])
        n_eq += want["earthquake"] is not None
        n_ts += len(want["tsunami"])
    # The fixtures must exercise every part, or the comparison proves little.
    check(n_warn > 4000, f"{n_warn} warning entries compared")
    check(n_eq > 50, f"{n_eq} earthquakes compared")
    check(n_ts > 100, f"{n_ts} tsunami entries compared")
    done("jma-parse-fixtures")


if __name__ == "__main__":
    main()
