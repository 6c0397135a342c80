#!/usr/bin/env bash
# Fails on calls the project bans: strcpy, sprintf, strtok, atoi, gets.
# They overflow, keep hidden state or hide errors; use snprintf, memcpy
# with a checked length, strtok_r or a parser, strtol with end checks.
set -uo pipefail
cd "$(dirname "$0")/.."
hits=$(git ls-files -co --exclude-standard -- '*.c' '*.h' |
        xargs -r grep -nE '(^|[^A-Za-z0-9_])(strcpy|sprintf|strtok|atoi|gets)[[:space:]]*\(' || true)
if [[ -n "$hits" ]]; then
        echo "check-banned: banned calls found:"
        echo "$hits"
        exit 1
fi
echo "check-banned: no banned calls"
