#!/usr/bin/env bash
# Installs what the build and the tests need and is missing, from Debian's
# packages (tools/packages.txt) and, once the front end exists, npm.
# Idempotent: with everything present it changes nothing and asks no
# registry.
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
while read -r pkg _; do
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        want+=("$pkg")
done < tools/packages.txt

missing=()
for pkg in "${want[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
        echo "setup: installing ${missing[*]}"
        sudo=""
        [[ $(id -u) -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node is preinstalled on this kind of machine; install Debian's only if absent.
if ! command -v node >/dev/null 2>&1; then
        echo "setup: installing nodejs and npm"
        sudo=""
        [[ $(id -u) -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm
fi

# Further setup steps of the parts (npm packages, the cross toolchain check)
# live in tools/setup.d/, run in name order.
if [[ -d tools/setup.d ]]; then
        for step in tools/setup.d/*.sh; do
                [[ -e "$step" ]] || continue
                bash "$step"
        done
fi
