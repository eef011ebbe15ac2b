#!/usr/bin/env bash
# Runs before `npm test` (the `pretest` script): makes sure the system packages the suite drives
# are present. Today that is Chromium, for the example's pages (playwright-core never downloads a
# browser). On a Debian machine as root it installs what is missing; elsewhere it says what to do.
set -euo pipefail

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$chromium_path" ]]; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing chromium (Debian package) for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "pretest: Chromium not found at $chromium_path. Install it (Debian: apt-get install chromium)" >&2
echo "         or set CHROMIUM_PATH to a Chromium or Chrome binary." >&2
exit 1
