#!/usr/bin/python3
"""Writes the demo's fictional layers into demo/layers/ from demo/city.py:

    boundary.geojson    the city's area polygon (sonae import areas)
    rivers.geojson      the river lines (shown on maps)
    flood.geojson       洪水浸水想定区域（想定最大規模）in the A31 layout (sonae import hazard)
    landslide.geojson   土砂災害警戒区域 in the A33 layout (sonae import hazard)
    districts.geojson   地区 (sonae import districts)
    shelters.geojson    指定緊急避難場所 in the GSI layout (sonae import shelters)
    addresses.csv       位置参照情報 大字・町丁目 layout, UTF-8 (sonae import addresses)
    roads.geojson       road lines with names (sonae import roads, for routes)

Every feature is authored and fictional (架空); the files say so.  Run it
again after changing city.py; the output is deterministic."""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import city  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers")
NOTE = f"架空のデモデータ（{city.CITY}は実在しません）。Sonae プロジェクト作成。"


def rnd(pts):
    return [[round(x, 6), round(y, 6)] for x, y in pts]


def write(name, features, crs84=True):
    doc = {"type": "FeatureCollection", "name": name, "note": NOTE}
    if crs84:
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    doc["features"] = features
    with open(os.path.join(OUT, name + ".geojson"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


def feature(props, geom_type, coords):
    return {"type": "Feature", "properties": props, "geometry": {"type": geom_type, "coordinates": coords}}


def band(line, half_width):
    """A polygon around a polyline, half_width degrees on each side."""
    left, right = [], []
    for i, (x, y) in enumerate(line):
        a = line[max(i - 1, 0)]
        b = line[min(i + 1, len(line) - 1)]
        dx, dy = b[0] - a[0], b[1] - a[1]
        n = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / n, dx / n
        left.append((x + nx * half_width, y + ny * half_width))
        right.append((x - nx * half_width, y - ny * half_width))
    ring = left + right[::-1] + [left[0]]
    return [rnd(ring)]


def rect(w, s, e, n):
    return [rnd([(w, s), (e, s), (e, n), (w, n), (w, s)])]


def main():
    os.makedirs(OUT, exist_ok=True)
    write("boundary", [feature({"code": city.AREA_CODE, "name": city.CITY}, "Polygon",
                               [rnd(city.BOUNDARY)])])
    write("rivers", [feature({"name": city.RIVER, "kind": "river"}, "LineString", rnd(city.RIVER_LINE)),
                     feature({"name": city.TRIBUTARY, "kind": "river"}, "LineString",
                             rnd(city.TRIBUTARY_LINE))])
    # The lower river floods widest; rank 2 (0.5–3.0 m) outside, rank 3 (3.0–5.0 m) near the banks.
    lower = city.RIVER_LINE[2:]
    flood = []
    for rank, width in ((2, 0.0085), (3, 0.0035)):
        flood.append(feature({"A31a_201": f"{city.RIVER}水系", "A31a_202": city.RIVER,
                              "A31a_203": "山形県（架空）", "A31a_204": "2026-04-01", "A31a_205": rank,
                              "A31a_206": "洪水浸水想定区域（想定最大規模）", "A31a_207": "架空",
                              "A31a_208": "1"}, "Polygon", band(lower, width)))
    write("flood", flood)
    landslide = [
        feature({"A33_001": 1, "A33_002": 1, "A33_003": "06", "A33_004": f"{city.TOWN_CODE}-K001",
                 "A33_005": f"{city.CITY}山手", "A33_006": "急傾斜地崩壊危険箇所（架空）",
                 "A33_007": "2026-04-01", "A33_008": "山形県（架空）"}, "Polygon",
                rect(140.140, 38.535, 140.165, 38.552)),
        feature({"A33_001": 2, "A33_002": 2, "A33_003": "06", "A33_004": f"{city.TOWN_CODE}-D001",
                 "A33_005": f"{city.CITY}上流沢", "A33_006": "土石流危険渓流（架空）",
                 "A33_007": "2026-04-01", "A33_008": "山形県（架空）"}, "Polygon",
                rect(140.165, 38.512, 140.185, 38.528)),
    ]
    write("landslide", landslide)
    write("districts", [feature({"code": c, "name": n}, "Polygon", rect(139.99, s, 140.21, nn))
                        for c, n, s, nn in city.DISTRICTS])
    shelters = []
    for i, (sid, name, lon, lat, fl, ls, eq) in enumerate(city.SHELTERS):
        shelters.append(feature({
            "NO": i + 1, "共通ID": sid, "都道府県名及び市町村名": f"{city.PREF}{city.CITY}",
            "施設・場所名": name, "住所": f"{city.PREF}{city.CITY}（架空）{i + 1}-1",
            "洪水": fl, "崖崩れ、土石流及び地滑り": ls, "高潮": "", "地震": eq, "津波": "",
            "大規模な火事": eq, "内水氾濫": fl, "火山現象": "", "指定避難所との住所同一": "",
            "備考": "架空"}, "Point", [lon, lat]))
    write("shelters", shelters, crs84=False)
    write("roads", [feature({"name": n}, "LineString", rnd(pts)) for n, pts in city.ROADS])
    cols = ["都道府県コード", "都道府県名", "市区町村コード", "市区町村名", "大字町丁目コード",
            "大字町丁目名", "緯度", "経度", "原典資料コード", "大字・字・丁目区分コード"]
    with open(os.path.join(OUT, "addresses.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(",".join(f'"{c}"' for c in cols) + "\r\n")
        for code, name, lon, lat in city.ADDRESSES:
            row = ["06", city.PREF, city.TOWN_CODE, city.CITY, city.TOWN_CODE + code, name,
                   f"{lat:.6f}", f"{lon:.6f}", "1", "3" if "丁目" in name else "0"]
            f.write(",".join(f'"{v}"' for v in row) + "\r\n")


if __name__ == "__main__":
    main()
