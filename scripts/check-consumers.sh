#!/usr/bin/env bash
# Consumer projects: each folder of examples/consumers/ is a small service as a user would write it
# (Hono and Fastify in TypeScript ESM, Express in plain CommonJS JavaScript). This installs the
# packed tarball into a copy of each, with the project's own dependencies, then builds it (when it
# has a build script) and runs its tests with the framework's own test tool.
#
# Run after a build:  npm run build && npm run consumers:check
# Set CONSUMERS_KEEP=1 to keep the temporary directory for debugging.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
started=$SECONDS
[[ -f dist/index.js ]] || { echo "consumers:check: dist/ missing: run npm run build first" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-consumers.XXXXXX")"
cleanup() {
  if [[ "${CONSUMERS_KEEP:-}" == 1 ]]; then echo "consumers:check: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

tarball="$WORK/$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
[[ -f $tarball ]] || { echo "consumers:check: npm pack produced no tarball" >&2; exit 1; }

for project in examples/consumers/*/; do
  name="$(basename "$project")"
  printf '\n==> %s\n' "$name"
  copy="$WORK/$name"
  mkdir "$copy"
  (cd "$project" && tar --exclude=node_modules --exclude=dist -cf - .) | (cd "$copy" && tar -xf -)
  (
    cd "$copy"
    # The tarball replaces the registry's `gatehouse` in this copy's package.json.
    npm install --no-audit --no-fund --prefer-offline "$tarball"
    if node -e 'process.exit(require("./package.json").scripts?.build ? 0 : 1)'; then npm run build; fi
    npm test
  ) || { echo "consumers:check: $name failed" >&2; exit 1; }
done
printf '\nconsumers:check: %s passed (%ss)\n' "$(ls -d examples/consumers/*/ | wc -l) projects" "$((SECONDS - started))"
