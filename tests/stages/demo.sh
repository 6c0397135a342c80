#!/usr/bin/env bash
# The demo end to end (issue 18): ./run.sh on a fresh data directory with a
# fast setting, the scenario checked through the API and in Chromium, a
# real telegram beside the drill, Ctrl-C, and a second run on the same data
# (tests/e2e/demo_scenario.py).  Runs once, in the default build.  Ends with
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0
failed=0
finish() { echo "$passed passed, $failed failed"; exit $((failed > 0)); }
if [[ ! -x build/cli/sonae || ! -x build/demo/sonae-demo-still || ! -x build/firmware/ports/host/sonae-node-sim ]]; then
        echo "FAIL: demo: build/ is not built"; failed=1; finish
fi
if [[ ! -x /usr/bin/chromium ]]; then echo "FAIL: demo: chromium missing"; failed=1; finish; fi
if ! (bash tools/setup.d/50-web.sh && ./tools/build-web.sh) >/dev/null; then
        echo "FAIL: demo: web build"; failed=1; finish
fi
out=$(mktemp)
python3 tests/e2e/demo_scenario.py 2>&1 | tee "$out"
res=$(grep -E '^RESULT [0-9]+ [0-9]+' "$out" | tail -1)
rm -f "$out"
if [[ -z "$res" ]]; then
        failed=$((failed + 1))
else
        read -r _ p f <<<"$res"
        passed=$((passed + p))
        failed=$((failed + f))
fi
finish
