#!/usr/bin/env bash
# Packaging check: installs the packed tarball into a throw-away consumer project and checks every
# subpath export the way a user would meet it:
#   - runtime: an ESM consumer (.mjs, `import`) and a CJS consumer (.cjs, `require`) per subpath
#     (an ESM-only subpath: `import()` from CJS, and `require()` must be refused cleanly), a real
#     smoke run in both (register, login, verify a token; a SQLite store on a file), and the
#     gatehouse/testing contract suites run by the consumer's own vitest;
#   - types: a consumer typechecked with tsc against the published .d.ts/.d.cts, as ESM (.mts) and
#     as CJS (.cts), module/moduleResolution NodeNext, skipLibCheck false;
#   - metadata: publint --strict and attw (profile node16) on the tarball.
#
# Run after a build:  npm run build && npm run pack:check
# Set PACK_CHECK_KEEP=1 to keep the temporary directory for debugging.
# shellcheck disable=SC2016 # the single-quoted node -e programs use JS template literals
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Subpath table: one row per key of package.json "exports". A subpath that is exported but has no
# row here fails the check, so a new subpath (./express, ./postgres, ...) needs a row.
#
#   subpath      the key in "exports"
#   probe        an export that must exist (a function; for `json`, a key of the JSON object)
#   formats      esm,cjs  both module systems
#                esm      ESM-only: import() works from ESM and CJS, require() must fail cleanly
#                json     a JSON file (./package.json)
#   needs        packages the consumer installs for this subpath (peers and their @types),
#                name or name@version; a bare name takes the version in package-lock.json;
#                `-` for none
# ---------------------------------------------------------------------------------------------
SUBPATHS=(
  # subpath        probe                   formats   needs
  ".               createGatehouse         esm,cjs   -"
  "./errors        isAuthError             esm,cjs   -"
  "./http          requestFromNode         esm,cjs   -"
  "./sqlite        createSqliteStore       esm,cjs   better-sqlite3 @types/better-sqlite3"
  "./postgres      createPostgresStore     esm,cjs   pg @types/pg"
  "./redis         createRedisStore        esm,cjs   redis"
  "./testing       describeStoreContract   esm       vitest vite"
  "./express       gatehouseExpress        esm,cjs   express @types/express"
  "./fastify       gatehouseFastify        esm,cjs   fastify"
  "./hono          gatehouseHono           esm,cjs   hono"
  "./openfga       loadOpenFgaModel        esm,cjs   -"
  "./package.json  version                 json      -"
)
# What every consumer gets for the typecheck (bare names: versions from package-lock.json).
CONSUMER_BASE=(typescript @types/node)

log() { printf '\n==> %s\n' "$*"; }
fail() {
  printf '\npack:check FAILED: %s\n' "$*" >&2
  exit 1
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
started=$SECONDS

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-pack-check.XXXXXX")"
cleanup() {
  if [[ "${PACK_CHECK_KEEP:-}" == 1 ]]; then
    echo "pack:check: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

PKG_NAME="$(node -p 'require("./package.json").name')"
PKG_VERSION="$(node -p 'require("./package.json").version')"

# ---------------------------------------------------------------------------------------------
# 1. The subpaths package.json exports, matched against the table.
# ---------------------------------------------------------------------------------------------
log "exports of $PKG_NAME@$PKG_VERSION"
# Prints every exports key; fails on a missing build output (run `npm run build` first).
exported="$(
  node -e '
    const fs = require("node:fs");
    const pkg = require("./package.json");
    let exp = pkg.exports;
    if (exp === undefined) { console.error("package.json has no \"exports\""); process.exit(1); }
    if (typeof exp === "string" || Array.isArray(exp) || !Object.keys(exp).some((k) => k.startsWith(".")))
      exp = { ".": exp };
    const targets = (v) => typeof v === "string" ? [v] : Array.isArray(v) ? v.flatMap(targets)
      : v && typeof v === "object" ? Object.values(v).flatMap(targets) : [];
    let missing = 0;
    for (const [key, value] of Object.entries(exp)) {
      for (const t of targets(value)) {
        if (!t.includes("*") && !fs.existsSync(t)) { console.error(`exports["${key}"] -> ${t}: file missing`); missing++; }
      }
      console.log(key);
    }
    if (missing) { console.error("build output missing: run `npm run build` first"); process.exit(1); }
  '
)" || fail "could not read the exports of package.json (see above)"
[[ -n $exported ]] || fail "package.json exports nothing"
mapfile -t EXPORTED <<<"$exported"
is_exported() { printf '%s\n' "${EXPORTED[@]}" | grep -qxF -- "$1"; }

declare -A T_PROBE=() T_FORMATS=() T_NEEDS=()
for row in "${SUBPATHS[@]}"; do
  read -r subpath probe formats needs <<<"$row"
  T_PROBE[$subpath]=$probe
  T_FORMATS[$subpath]=$formats
  T_NEEDS[$subpath]=$needs
done

CODE_SUBPATHS=() JSON_SUBPATHS=() ESM_ONLY=() NEEDS=("${CONSUMER_BASE[@]}")
for subpath in "${EXPORTED[@]}"; do
  [[ $subpath != *'*'* ]] || fail "exports[\"$subpath\"]: pattern exports are not handled by this script"
  [[ -v T_PROBE[$subpath] ]] ||
    fail "exports[\"$subpath\"] has no row in the SUBPATHS table of scripts/check-package.sh (add: subpath, probe export, formats, needed packages)"
  case ${T_FORMATS[$subpath]} in
    esm,cjs) CODE_SUBPATHS+=("$subpath") ;;
    esm) CODE_SUBPATHS+=("$subpath") ESM_ONLY+=("$subpath") ;;
    json) JSON_SUBPATHS+=("$subpath") ;;
    *) fail "SUBPATHS table: unknown formats '${T_FORMATS[$subpath]}' for $subpath" ;;
  esac
  if [[ ${T_NEEDS[$subpath]} != - ]]; then
    read -r -a extra <<<"${T_NEEDS[$subpath]}"
    NEEDS+=("${extra[@]}")
  fi
  printf '  %-16s %-24s %-8s %s\n' "$subpath" "${T_PROBE[$subpath]}" "${T_FORMATS[$subpath]}" "${T_NEEDS[$subpath]}"
done
for subpath in "${!T_PROBE[@]}"; do
  is_exported "$subpath" || echo "  (note: table row $subpath is not exported by package.json; skipped)"
done
for required in . ./sqlite; do
  is_exported "$required" || fail "the smoke tests need the subpath $required"
done

# name -> name@version, versions from package-lock.json unless given.
specs="$(
  node -e '
    const lock = require("./package-lock.json");
    let bad = 0;
    for (const spec of process.argv.slice(1)) {
      const at = spec.indexOf("@", 1);
      if (at > 0) { console.log(spec); continue; }
      const entry = lock.packages?.[`node_modules/${spec}`];
      if (!entry?.version) { console.error(`${spec}: not in package-lock.json; give a version in the table`); bad++; continue; }
      console.log(`${spec}@${entry.version}`);
    }
    process.exit(bad ? 1 : 0);
  ' "${NEEDS[@]}" | sort -u
)" || fail "could not resolve the consumer's package versions (see above)"
mapfile -t INSTALL_SPECS <<<"$specs"

# ---------------------------------------------------------------------------------------------
# 2. Pack.
# ---------------------------------------------------------------------------------------------
log "npm pack"
TARBALL_NAME="$(
  npm pack --pack-destination "$WORK" --json |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[0].filename))'
)" || fail "npm pack failed"
TARBALL="$WORK/$TARBALL_NAME"
[[ -f $TARBALL ]] || fail "npm pack did not produce $TARBALL"
echo "  $TARBALL_NAME ($(du -k "$TARBALL" | cut -f1) KiB)"

# ---------------------------------------------------------------------------------------------
# 3. publint and attw on the tarball (the repo's own devDependencies).
# ---------------------------------------------------------------------------------------------
log "publint --strict"
npx --no -- publint run "$TARBALL" --strict || fail "publint reported problems"

log "attw --profile node16"
attw_node16=(npx --no -- attw "$TARBALL" --profile node16)
[[ ${#ESM_ONLY[@]} -eq 0 ]] || attw_node16+=(--exclude-entrypoints "${ESM_ONLY[@]}")
"${attw_node16[@]}" || fail "attw (node16) reported problems"
if [[ ${#ESM_ONLY[@]} -gt 0 ]]; then
  log "attw --profile esm-only (ESM-only subpaths: ${ESM_ONLY[*]})"
  npx --no -- attw "$TARBALL" --profile esm-only --entrypoints "${ESM_ONLY[@]}" ||
    fail "attw (esm-only) reported problems"
fi

# ---------------------------------------------------------------------------------------------
# 4. The consumer project.
# ---------------------------------------------------------------------------------------------
log "consumer project: npm install $TARBALL_NAME ${INSTALL_SPECS[*]}"
CONSUMER="$WORK/consumer"
mkdir "$CONSUMER"
cd "$CONSUMER"
npm init -y >/dev/null
# npm 11 blocks dependency install scripts unless package.json allows them: take the repo's own
# allowScripts (better-sqlite3 must compile its native module; a registry prebuild is unreachable).
node -e '
  const fs = require("node:fs");
  const repo = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  pkg.private = true;
  pkg.allowScripts = repo.allowScripts ?? {};
  fs.writeFileSync("package.json", `${JSON.stringify(pkg, null, 2)}\n`);
' "$ROOT/package.json"
npm install --no-audit --no-fund --prefer-offline "$TARBALL" "${INSTALL_SPECS[@]}" ||
  fail "npm install in the consumer failed"
npm ls --depth=0 || fail "npm ls: the consumer's dependency tree is not valid"
# Any install script npm skipped (not in allowScripts) would leave a dependency half-installed.
pending="$(npm install-scripts ls --json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const rows = JSON.parse(s).allowScripts ?? [];
    console.log(rows.flatMap((r) => r.changes.filter((c) => c.change === "pending").map((c) => c.key)).join(" "));
  });')" || fail "npm install-scripts ls failed"
[[ -z $pending ]] ||
  fail "npm skipped install scripts of: $pending (allow them in package.json \"allowScripts\", which the consumer copies)"

# ---------------------------------------------------------------------------------------------
# 5. Runtime: one ESM and one CJS consumer per subpath.
#    CJS consumers run with --no-experimental-require-module: the CJS build must not rely on
#    require(esm), which Node 20 before 20.19 lacks (engines: node >= 20).
# ---------------------------------------------------------------------------------------------
log "runtime: import and require every subpath"
CJS_NODE=(node --no-experimental-require-module)
spec_of() { if [[ $1 == . ]]; then echo "$PKG_NAME"; else echo "$PKG_NAME/${1#./}"; fi; }

i=0
for subpath in "${CODE_SUBPATHS[@]}" "${JSON_SUBPATHS[@]}"; do
  spec="$(spec_of "$subpath")"
  probe=${T_PROBE[$subpath]}
  case ${T_FORMATS[$subpath]} in
    json)
      cat >"probe-$i.mjs" <<EOF
import data from '$spec' with { type: 'json' };
if (data?.$probe === undefined) throw new Error("$spec (ESM): key $probe missing");
EOF
      cat >"probe-$i.cjs" <<EOF
const data = require('$spec');
if (data?.$probe === undefined) throw new Error("$spec (CJS): key $probe missing");
EOF
      node --disable-warning=ExperimentalWarning "probe-$i.mjs" || fail "ESM import of $spec failed"
      ;;
    *)
      cat >"probe-$i.mjs" <<EOF
import { $probe } from '$spec';
if (typeof $probe !== 'function') throw new Error(\`$spec (ESM): $probe is \${typeof $probe}, expected a function\`);
EOF
      if [[ ${T_FORMATS[$subpath]} == esm,cjs ]]; then
        cat >"probe-$i.cjs" <<EOF
const mod = require('$spec');
if (typeof mod.$probe !== 'function') throw new Error(\`$spec (CJS): $probe is \${typeof mod.$probe}, expected a function\`);
EOF
      else
        # ESM-only: require() must fail at resolution with a clear Node error (no "require"
        # condition), not half-load; a CJS module reaches it with import().
        cat >"probe-$i.cjs" <<EOF
let error;
try { require('$spec'); } catch (e) { error = e; }
if (!error) throw new Error("$spec is ESM-only but require() loaded it");
if (!['ERR_PACKAGE_PATH_NOT_EXPORTED', 'ERR_REQUIRE_ESM'].includes(error.code)) {
  throw new Error(\`require('$spec') should fail with ERR_PACKAGE_PATH_NOT_EXPORTED (an ESM-only subpath has no "require" condition), got \${error.code}: \${String(error.message).split('\\n')[0]}\`);
}
import('$spec').then((mod) => {
  if (typeof mod.$probe !== 'function') throw new Error(\`$spec (CJS import()): $probe is \${typeof mod.$probe}\`);
});
EOF
      fi
      node "probe-$i.mjs" || fail "ESM consumer of $spec failed"
      ;;
  esac
  "${CJS_NODE[@]}" "probe-$i.cjs" || fail "CJS consumer of $spec failed"
  if [[ ${T_FORMATS[$subpath]} == esm ]]; then
    printf '  %-24s esm ok, cjs ok (ESM-only: import() works, require() refused)\n' "$spec"
  else
    printf '  %-24s esm ok, cjs ok\n' "$spec"
  fi
  i=$((i + 1))
done

log "runtime: smoke run (register, login, verify; SQLite store) in ESM and CJS"
cat >smoke-esm.mjs <<EOF
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AuthError, createGatehouse, createMemoryStore } from '$PKG_NAME';
import { AlreadyRegisteredError } from '$PKG_NAME/errors';
import { createSqliteStore } from '$PKG_NAME/sqlite';
const FORMAT = 'esm';
EOF
cat >smoke-cjs.cjs <<EOF
const assert = require('node:assert/strict');
const { randomBytes, randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { AuthError, createGatehouse, createMemoryStore } = require('$PKG_NAME');
const { AlreadyRegisteredError } = require('$PKG_NAME/errors');
const { createSqliteStore } = require('$PKG_NAME/sqlite');
const FORMAT = 'cjs';
EOF
cat >smoke-body.js <<'EOF'

const config = (store) => ({
  store,
  tokens: { secret: randomBytes(32) },
  password: { argon2: { memoryCost: 1024, timeCost: 1 } },
});

async function registerLoginVerify(store, email) {
  const gatehouse = createGatehouse(config(store));
  const password = 'correct horse battery staple';
  const user = await gatehouse.auth.register({ email, password });
  const login = await gatehouse.auth.login({ identifier: email, password });
  assert.equal(login.status, 'authenticated');
  assert.equal(typeof login.accessToken, 'string');
  const { claims } = await gatehouse.tokens.verify(login.accessToken);
  assert.equal(claims.sub, user.id);
  const who = await gatehouse.auth.authenticate(login.accessToken);
  assert.equal(who.user.id, user.id);
  await assert.rejects(
    gatehouse.auth.login({ identifier: email, password: `${password}!` }),
    (e) => e instanceof AuthError && e.code === 'ERR_INVALID_CREDENTIALS',
  );
}

async function main() {
  await registerLoginVerify(createMemoryStore(), `ada-${FORMAT}@example.com`);

  // SQLite on a file: proves better-sqlite3's native module was built and loads.
  const store = createSqliteStore({ filename: join(process.cwd(), `smoke-${FORMAT}.db`) });
  try {
    const { version } = store.db.prepare('select sqlite_version() as version').get();
    const now = new Date();
    const record = {
      id: randomUUID(),
      email: `grace-${FORMAT}@example.com`,
      username: null,
      passwordHash: null,
      role: 'USER',
      isActive: true,
      emailVerifiedAt: null,
      passwordChangeRequired: false,
      createdAt: now,
      updatedAt: now,
    };
    await store.users.create(record);
    const found = await store.users.findByEmail(record.email);
    assert.equal(found?.id, record.id);
    assert.ok(found.createdAt instanceof Date);

    // The sqlite subpath's errors are the root subpath's classes (one shared chunk per format).
    let duplicate;
    try {
      await store.users.create({ ...record, id: randomUUID() });
    } catch (e) {
      duplicate = e;
    }
    assert.ok(
      duplicate instanceof AlreadyRegisteredError,
      `expected AlreadyRegisteredError from the sqlite store to be instanceof ${FORMAT} AlreadyRegisteredError, got ${duplicate}`,
    );
    assert.equal(duplicate.code, 'ERR_ALREADY_REGISTERED');

    await registerLoginVerify(store, `linus-${FORMAT}@example.com`);
    console.log(`  smoke ${FORMAT} ok (SQLite ${version})`);
  } finally {
    store.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
EOF
cat smoke-body.js >>smoke-esm.mjs
cat smoke-body.js >>smoke-cjs.cjs
node smoke-esm.mjs || fail "ESM smoke run failed"
"${CJS_NODE[@]}" smoke-cjs.cjs || fail "CJS smoke run failed"

if is_exported ./testing; then
  log "runtime: $PKG_NAME/testing under vitest (contract suites on the memory and SQLite stores)"
  # Also proves gatehouse/testing drives the consumer's own vitest (one instance, not a copy).
  mkdir contract
  cat >contract/store.test.mjs <<EOF
import { createMemoryStore } from '$PKG_NAME';
import { createSqliteStore } from '$PKG_NAME/sqlite';
import { describeStoreContract } from '$PKG_NAME/testing';

describeStoreContract('memory store', () => createMemoryStore());
describeStoreContract('sqlite store', () => createSqliteStore());
EOF
  ./node_modules/.bin/vitest run --root . contract/ || fail "the contract suites from $PKG_NAME/testing failed under vitest"
  contract_ran=" vitest contract suites ok;"
fi

# The bin: `npx gatehouse migrate` (ESM, needs no peer to print its help).
log "runtime: the gatehouse bin"
help="$(./node_modules/.bin/gatehouse migrate --help)" || fail "gatehouse migrate --help failed"
[[ $help == *--dry-run* ]] || fail "gatehouse migrate --help does not describe --dry-run: $help"

# ---------------------------------------------------------------------------------------------
# 6. Types: tsc --noEmit against the published declarations, as ESM (.mts) and CJS (.cts).
# ---------------------------------------------------------------------------------------------
log "types: tsc --noEmit (NodeNext, skipLibCheck false) as ESM and as CJS"
write_types() { # $1 = mts | cts
  local ext=$1 n=0 subpath spec probe
  for subpath in "${CODE_SUBPATHS[@]}"; do
    spec="$(spec_of "$subpath")"
    probe=${T_PROBE[$subpath]}
    if [[ $ext == cts && ${T_FORMATS[$subpath]} == esm ]]; then
      # An ESM-only subpath from CommonJS: through import().
      printf "export async function probe%d(): Promise<(...args: never[]) => unknown> {\n  const mod = await import('%s');\n  return mod.%s;\n}\n" "$n" "$spec" "$probe"
    else
      printf "import * as sub%d from '%s';\nexport const probe%d: (...args: never[]) => unknown = sub%d.%s;\n" "$n" "$spec" "$n" "$n" "$probe"
    fi
    n=$((n + 1))
  done
  cat <<EOF
import {
  AuthError,
  type AuthErrorCode,
  createGatehouse,
  createMemoryStore,
  type Gatehouse,
  type GatehouseConfig,
  type Store,
  type UserRecord,
  type UserRepository,
} from '$PKG_NAME';
import { createSqliteStore, type SqliteStore } from '$PKG_NAME/sqlite';

export function makeConfig(store: Store, secret: Uint8Array): GatehouseConfig {
  return { store, tokens: { secret }, password: { argon2: { memoryCost: 1024, timeCost: 1 } } };
}
export const countUsers = (users: UserRepository): Promise<number> => users.count();
export const userIdOf = (user: UserRecord): string => user.id;
export const sqliteIsAStore = (store: SqliteStore): Store => store;
export const openSqlite = (): Store => createSqliteStore({ filename: ':memory:' });
export const gatehouse: Gatehouse = createGatehouse(makeConfig(createMemoryStore(), new Uint8Array(32)));

export async function accessTokenOrNull(g: Gatehouse, identifier: string, password: string): Promise<string | null> {
  try {
    const login = await g.auth.login({ identifier, password });
    // A discriminated union: tokens only when no second factor is pending.
    if (login.status === 'mfa_required') return login.challenge.length > 0 ? null : null;
    return login.accessToken;
  } catch (e) {
    if (e instanceof AuthError && e.code === 'ERR_INVALID_CREDENTIALS') {
      const code: 'ERR_INVALID_CREDENTIALS' = e.code; // narrowed: code is a union, not string
      const status: number = e.status;
      return code.length > 0 && status === 401 ? null : null;
    }
    // @ts-expect-error 'ERR_NOPE' is no AuthErrorCode, so this comparison has no overlap
    if (e instanceof AuthError && e.code === 'ERR_NOPE') return null;
    throw e;
  }
}

// Negative checks: were the published types to degrade to any, these directives would go unused
// and tsc would fail.
// @ts-expect-error not an AuthErrorCode
export const badCode: AuthErrorCode = 'ERR_NOPE';
// @ts-expect-error a GatehouseConfig needs tokens
export const badConfig: GatehouseConfig = { store: createMemoryStore() };
// @ts-expect-error createSqliteStore takes an options object
export const badStore = (): Store => createSqliteStore(42);
EOF
}
write_types mts >types.mts
write_types cts >types.cts
for ext in mts cts; do
  cat >"tsconfig.$ext.json" <<EOF
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "types": ["node"],
    "strict": true,
    "noEmit": true,
    "skipLibCheck": false
  },
  "files": ["types.$ext"]
}
EOF
  label="ESM consumer (types.mts)"
  [[ $ext == mts ]] || label="CJS consumer (types.cts)"
  ./node_modules/.bin/tsc -p "tsconfig.$ext.json" || fail "tsc --noEmit failed for the $label"
  echo "  types.$ext ok"
done

# ---------------------------------------------------------------------------------------------
summary="${#CODE_SUBPATHS[@]} subpaths x (esm, cjs, types) ok"
[[ ${#ESM_ONLY[@]} -eq 0 ]] || summary+=" (ESM-only: ${ESM_ONLY[*]})"
[[ ${#JSON_SUBPATHS[@]} -eq 0 ]] || summary+=", ${JSON_SUBPATHS[*]} ok"
echo
echo "package check: $PKG_NAME@$PKG_VERSION $summary; smoke esm+cjs ok;${contract_ran:-} publint --strict ok; attw ok ($((SECONDS - started))s)"
