#!/usr/bin/env python3
"""An authored street grid for the browser tests' store (tests/stages/e2e.sh).

Streets every 0.002 degrees (about 170 m east-west, 220 m north-south) over
lon 139.79-139.86, lat 38.70-38.75: the seed's shelters and the home points
the tests choose (本町一丁目, the phone's location) all lie inside.  East-west
streets are 「…条通り」, north-south ones 「…番町通り」; every street has a
vertex at each crossing, so the import nodes the grid as OSM ways share
nodes.  Written as GeoJSON to the path given (or stdout); authored, listed
in tests/fixtures/SOURCES.md.
"""
import json
import sys

KANJI = "〇一二三四五六七八九"


def number(n):
    if n < 10:
        return KANJI[n]
    tens, ones = divmod(n, 10)
    return (KANJI[tens] if tens > 1 else "") + "十" + (KANJI[ones] if ones else "")


def grid(lon0=139.79, lon1=139.86, lat0=38.70, lat1=38.75, step=0.002):
    nx = round((lon1 - lon0) / step)
    ny = round((lat1 - lat0) / step)
    lons = [round(lon0 + i * step, 6) for i in range(nx + 1)]
    lats = [round(lat0 + j * step, 6) for j in range(ny + 1)]
    feats = []
    for j, lat in enumerate(lats):
        feats.append({"type": "Feature", "properties": {"name": f"{number(j + 1)}条通り", "kind": "residential"},
                      "geometry": {"type": "LineString", "coordinates": [[x, lat] for x in lons]}})
    for i, lon in enumerate(lons):
        feats.append({"type": "Feature", "properties": {"name": f"{number(i + 1)}番町通り", "kind": "residential"},
                      "geometry": {"type": "LineString", "coordinates": [[lon, y] for y in lats]}})
    return {"type": "FeatureCollection", "features": feats}


if __name__ == "__main__":
    out = open(sys.argv[1], "w", encoding="utf-8") if len(sys.argv) > 1 else sys.stdout
    json.dump(grid(), out, ensure_ascii=False)
