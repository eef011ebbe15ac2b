#!/usr/bin/env bash
# Runs before `npm test` (the `pretest` script): makes sure the system packages the suite drives
# are present: Chromium for the example's pages (playwright-core never downloads a browser) and
# redis-server for the Redis store's suites. PostgreSQL (initdb, pg_ctl) is expected on PATH; the
# suites start their own throw-away servers (see test/support/services/global-setup.ts). On a
# Debian machine as root this installs what is missing; elsewhere it says what to do.
set -euo pipefail

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[[ -x "$chromium_path" ]] || missing+=(chromium)
if [[ -z "${GATEHOUSE_TEST_REDIS_URL:-}" ]] && ! command -v redis-server >/dev/null 2>&1; then
  missing+=(redis-server)
fi
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing ${missing[*]} (Debian packages) for the test suites"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
for package in "${missing[@]}"; do
  case "$package" in
    chromium)
      echo "pretest: Chromium not found at $chromium_path. Install it (Debian: apt-get install chromium)" >&2
      echo "         or set CHROMIUM_PATH to a Chromium or Chrome binary." >&2
      exit 1
      ;;
    redis-server)
      echo "pretest: redis-server not found: the Redis suites will be reported as not run." >&2
      echo "         Install it (Debian: apt-get install redis-server) or set GATEHOUSE_TEST_REDIS_URL." >&2
      ;;
  esac
done
