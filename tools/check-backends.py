#!/usr/bin/env python3
"""The both-backends rule (issue #19): every store and geo test runs on
SpatiaLite and on PostGIS, and no test is skipped on one backend and not
the other.

Reads a meson test log (meson-logs/testlog.json) and checks:
  - every test named NAME-spatialite has its NAME-postgis twin, and ran;
    a NAME-postgis's SpatiaLite twin is NAME-spatialite or, for the
    integration tests (which run on SpatiaLite by default), plain NAME;
    a PostGIS-only test (a replica, LISTEN/NOTIFY) has neither;
  - the twins have the same outcome class: a skip (exit 77) on one side
    and not the other is a failure, whatever the other side did;
  - and it names (as a note, not a failure) every store or geo test, a name
    beginning with "geo-", that runs on one backend only, so the list of
    what is not yet on PostGIS is printed by every run.

Prints one line per problem and exits 1 if there is any.

    tools/check-backends.py build/meson-logs/testlog.json
"""
import json
import sys

SUFFIXES = ("-spatialite", "-postgis")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    results = {}
    try:
        with open(argv[1], encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    t = json.loads(line)
                    # "project:suite / name"
                    results[t["name"].split(" / ")[-1]] = t["result"]
    except (OSError, ValueError, KeyError) as e:
        print(f"check-backends: cannot read {argv[1]}: {e}", file=sys.stderr)
        return 2
    problems = []
    bases = set()
    for name in results:
        for s in SUFFIXES:
            if name.endswith(s):
                bases.add(name[: -len(s)])
    for base in sorted(bases):
        a = results.get(base + "-spatialite", results.get(base))
        b = results.get(base + "-postgis")
        if b is None:
            problems.append(f"{base}: ran on SpatiaLite only (no {base}-postgis)")
            continue
        if a is None:
            continue  # a PostGIS-only test
        if (a == "SKIP") != (b == "SKIP"):
            problems.append(f"{base}: skipped on one backend only (spatialite {a}, postgis {b})")
    for name in sorted(results):
        if name.startswith("geo-") and not name.endswith(SUFFIXES) and name not in bases:
            print(f"check-backends: note: {name} runs on SpatiaLite only (not yet on PostGIS)")
    for p in problems:
        print(f"check-backends: {p}")
    if not bases:
        problems.append("no test ran on both backends")
        print("check-backends: no test ran on both backends")
    if not problems:
        print(f"check-backends: {len(bases)} tests on both backends, none skipped on one only")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
