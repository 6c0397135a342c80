#!/usr/bin/env bash
# The whole suite: installs what is missing, builds with -Werror, runs the
# unit, integration and fuzz-regression suites, the same unit and
# integration suites under ASan+UBSan, the gates (format, banned calls),
# the firmware's cross build under QEMU and the browser tests once they
# exist.  Ends with its own line "N passed, N failed".
#
#   ./test.sh            everything
#   SONAE_SKIP_ASAN=1    leave out the sanitised run (for quick local loops)
set -uo pipefail
cd "$(dirname "$0")"
top=$(pwd)

passed=0
failed=0
failures=()

pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL: $1"; }

# Adds the results of a meson test run (its testlog.json) to the tally.
tally_meson() {
        local builddir=$1 label=$2 log="$1/meson-logs/testlog.json"
        if [[ ! -s "$log" ]]; then
                fail "$label: no test log"
                return
        fi
        local counts
        counts=$(python3 - "$log" "$label" <<'PY'
import json, sys
ok = bad = 0
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if not line:
        continue
    t = json.loads(line)
    if t["result"] in ("OK", "EXPECTEDFAIL"):
        ok += 1
    else:
        bad += 1
        print(f"FAIL: {sys.argv[2]}: {t['name']} ({t['result']})", file=sys.stderr)
print(ok, bad)
PY
        )
        local ok bad
        read -r ok bad <<<"$counts"
        passed=$((passed + ok))
        failed=$((failed + bad))
        ((bad == 0)) || failures+=("$label: $bad meson tests")
}

if ./tools/setup.sh; then pass "setup"; else fail "setup"; fi

export SONAE_TIME_SCALE=${SONAE_TIME_SCALE:-1}
jobs=2

# 1. The default build, warnings as errors.
if [[ ! -f build/build.ninja ]]; then
        meson setup build -Dwerror=true --buildtype=debugoptimized >/dev/null
else
        meson configure build -Dwerror=true >/dev/null
fi
if ninja -C build >build/.sonae-build-log.txt 2>&1; then
        pass "build (-Wall -Wextra -Werror)"
        meson test -C build --num-processes $jobs --print-errorlogs \
                --suite unit --suite integration --suite fuzz-regress
        tally_meson build "default build"
        if python3 tools/check-backends.py build/meson-logs/testlog.json; then
                pass "store and geo tests on both backends (default build)"
        else
                fail "store and geo tests on both backends (default build)"
        fi
else
        tail -50 build/.sonae-build-log.txt
        fail "build (-Wall -Wextra -Werror)"
fi
rm -f build/.sonae-build-log.txt

# 2. The same unit and integration suites under ASan+UBSan, with reduced
#    sizes and scaled time limits.
if [[ "${SONAE_SKIP_ASAN:-0}" != "1" ]]; then
        if [[ ! -f build-asan/build.ninja ]]; then
                meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined \
                        -Db_lundef=false --buildtype=debug >/dev/null
        fi
        if ninja -C build-asan >build/.sonae-build-log.txt 2>&1; then
                pass "build under ASan+UBSan"
                SONAE_TIME_SCALE=$(python3 -c "print(max(3.0, float('$SONAE_TIME_SCALE')))") \
                SONAE_REDUCED=1 \
                ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                        meson test -C build-asan --num-processes $jobs --print-errorlogs \
                        --suite unit --suite integration --suite fuzz-regress \
                        --timeout-multiplier 3
                tally_meson build-asan "ASan+UBSan build"
                if python3 tools/check-backends.py build-asan/meson-logs/testlog.json; then
                        pass "store and geo tests on both backends (ASan+UBSan build)"
                else
                        fail "store and geo tests on both backends (ASan+UBSan build)"
                fi
        else
                tail -50 build/.sonae-build-log.txt
                fail "build under ASan+UBSan"
        fi
        rm -f build/.sonae-build-log.txt
fi

# 3. Gates.
if ./tools/check-format.sh; then pass "clang-format 14"; else fail "clang-format 14"; fi
if ./tools/check-banned.sh; then pass "banned calls"; else fail "banned calls"; fi

# 4. Further stages of the parts (firmware cross build under QEMU, browser
#    tests): each script in tests/stages/ prints its own "N passed, N failed".
if [[ -d tests/stages ]]; then
        for stage in tests/stages/*.sh; do
                [[ -e "$stage" ]] || continue
                out=$(mktemp)
                bash "$stage" 2>&1 | tee "$out"
                line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
                rm -f "$out"
                if [[ -z "$line" ]]; then
                        fail "$(basename "$stage"): printed no result"
                        continue
                fi
                p=${line%% passed*}
                f=${line#*, }
                f=${f%% failed*}
                passed=$((passed + p))
                failed=$((failed + f))
                ((f == 0)) || failures+=("$(basename "$stage"): $f failed")
        done
fi

echo
if ((${#failures[@]})); then
        echo "Failures:"
        printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))
