#!/usr/bin/env bash
# The Debian packages the platform and its tests run for real: Docker engine, nginx, busybox for test images,
# Prometheus, chromium for the cockpit tests (driven by Playwright), supervisord and Monit as MTTR peers in bench/,
# wrk as the load generator of bench/intake.py, docker-compose and debootstrap for the compose run
# (tests/test_compose_run.py: it builds its base image from a debootstrap rootfs, since no image registry is reachable).
set -euo pipefail
PACKAGES=(make docker.io nginx busybox-static prometheus chromium supervisor monit wrk docker-compose debootstrap)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
  fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
