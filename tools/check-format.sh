#!/usr/bin/env bash
# Fails when a tracked C file is not formatted by the checked-in
# .clang-format, with clang-format 14 (Debian 12's) pinned: other versions
# format differently.
set -uo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z "$cf" ]] || ! "$cf" --version | grep -q 'version 14\.'; then
        echo "check-format: clang-format 14 is needed (found: ${cf:-none})"
        exit 1
fi
files=$(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v -e '^subprojects/' -e '/vendor/' || true)
bad=0
for f in $files; do
        [[ -f "$f" ]] || continue
        if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
                echo "check-format: $f is not formatted (run: $cf -i $f)"
                bad=1
        fi
done
exit $bad
