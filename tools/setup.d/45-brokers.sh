#!/usr/bin/env bash
# The scale tests (docs/scale.md) run a private RabbitMQ node with its MQTT
# plugin (tests/lib/rabbitserver.py, test ingest-rabbitmq) and nginx as a
# caching proxy in front of two portals (test portal-instances), both
# started by the tests on loopback with their own files.  Installs Debian's
# packages when missing; idempotent, and asks no registry when both are
# there.  Debian's packages also register system services (a RabbitMQ node
# on port 5672, nginx on port 80), which the tests do not use: where the
# machine starts services on installation, stop them if unwanted.
set -euo pipefail
missing=()
for pkg in rabbitmq-server nginx; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
        sudo=""
        [[ $(id -u) -eq 0 ]] || sudo="sudo"
        echo "setup: installing ${missing[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
