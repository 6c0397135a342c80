"""Turns the shared river fixtures into what the real sites serve.

The k.river snapshots in ../shared/fixtures/river/k_river_crisis_gauges are a
third party's wrapper around the raw items of
`area_info/current/{prefCode}.json` (see that folder's SOURCES.md): the
wrapper added observedAt, place*, isWarning, isFlood and renamed lat/lon to
latitude/longitude.  kriver_raw() undoes that and returns the raw form,
{"obss": [items]}, optionally for one prefecture and with every obsTime
moved by a number of minutes (to re-stamp snapshots 10 minutes apart)."""

import datetime
import json
import os

from sonaetest import FIXTURES

KRIVER_DIR = os.path.join(FIXTURES, "river", "k_river_crisis_gauges")
SNAPSHOTS = [
    "snapshot_2025-11-01-07JST.json",
    "snapshot_2026-06-03-05JST.json",
    "snapshot_2026-07-26-17JST.json",
]
ADDED = ("observedAt", "placeCountry", "placeRiver", "placePref", "placeCity", "isWarning", "isFlood")
JST = datetime.timezone(datetime.timedelta(hours=9))


def load_snapshot(name):
    with open(os.path.join(KRIVER_DIR, name), encoding="utf-8") as f:
        return json.load(f)


def raw_items(snapshot, pref=None):
    out = []
    for it in snapshot["items"]:
        if pref and it.get("prefCode") != pref:
            continue
        raw = {k: v for k, v in it.items() if k not in ADDED}
        raw["lat"] = raw.pop("latitude", None)
        raw["lon"] = raw.pop("longitude", None)
        out.append(raw)
    return out


def restamp(items, when):
    """Sets every obsTime to `when` (an aware datetime), written in JST as the site does."""
    s = when.astimezone(JST).isoformat(timespec="seconds")
    for it in items:
        it["obsTime"] = s
    return items


def kriver_body(items):
    return json.dumps({"obss": items}, ensure_ascii=False).encode("utf-8")
