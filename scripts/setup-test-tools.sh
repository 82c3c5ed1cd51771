#!/usr/bin/env bash
# Installs the tools the browser end-to-end and integration tests need, offline-safe
# (only Debian's apt and the npm registry are reachable on our machines):
#   - Debian chromium (+ fonts) driven by playwright-core (a devDependency of the project,
#     installed by `npm ci`; never `playwright install`, its browser download fails here),
#   - ripgrep and libkrb5-dev (needed by code-server's install),
#   - code-server@4.100.3 (VS Code 1.100.3 in the browser; the newest that runs on Node 20)
#     into .tools/code-server, outside the project's own dependency tree.
# Idempotent: a second run only re-checks (apt is a no-op, code-server is skipped when the
# right version is already there). Run as root (CI and the dev machines are root).
# See ../shared/notes/vscode-e2e-offline.md for why each fix below exists.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
CS_DIR="$TOOLS/code-server"
START=$(date +%s)

log() { echo "[setup-test-tools] $*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

# ---- 1. Debian packages ------------------------------------------------------------------
APT_PKGS=(chromium ripgrep libkrb5-dev fonts-liberation fonts-dejavu-core ca-certificates)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  # No recommends: chromium's pull in desktop services (upower, printing) a headless test
  # does not need; the fonts it renders with are listed explicitly above.
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt packages already installed"
fi
command -v chromium >/dev/null || { echo "chromium missing after install" >&2; exit 1; }
command -v rg >/dev/null || { echo "rg missing after install" >&2; exit 1; }
log "$(chromium --version 2>/dev/null | sed -n 1p); $(rg --version | sed -n 1p)"

# ---- 2. code-server into .tools/code-server ------------------------------------------------
cs_installed_version() {
  node -e 'try{process.stdout.write(require(process.argv[1]).version)}catch{}' \
    "$CS_DIR/node_modules/code-server/package.json" 2>/dev/null || true
}
if [ "$(cs_installed_version)" = "$CODE_SERVER_VERSION" ] && [ -x "$CS_DIR/node_modules/.bin/code-server" ] \
   && [ -e "$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
  log "code-server $CODE_SERVER_VERSION already in $CS_DIR"
else
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR"
  mkdir -p "$CS_DIR"
  INSTALL_TMP="$TOOLS/tmp-install"
  rm -rf "$INSTALL_TMP"; mkdir -p "$INSTALL_TMP"
  # Fix 3: @vscode/ripgrep's postinstall downloads rg from GitHub; pre-fill its cache (keyed
  # by os.tmpdir()) with a tar.gz that holds Debian's rg at its top level.
  RG_CACHE="$INSTALL_TMP/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$RG_CACHE/stage"
  cp "$(command -v rg)" "$RG_CACHE/stage/rg"
  tar -C "$RG_CACHE/stage" -czf "$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg
  rm -rf "$RG_CACHE/stage"
  # A tool folder with its own package.json so npm does not walk up into the project.
  [ -f "$CS_DIR/package.json" ] || echo '{"name":"backward-lens-test-tools","private":true}' > "$CS_DIR/package.json"
  (
    cd "$CS_DIR"
    # Fix 1: root installs; fix 4: node-pty's `npx node-gyp` waits for a confirmation.
    export TMPDIR="$INSTALL_TMP" npm_config_unsafe_perm=true npm_config_yes=true
    export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
    # node-gyp (kerberos, node-pty, argon2 fallback builds) must use Node's own headers:
    # downloading them fails offline. Our machines ship them under /usr/include/node.
    if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
      export npm_config_nodedir=/usr
    fi
    npm install --no-save --no-package-lock --loglevel=error "code-server@$CODE_SERVER_VERSION"
  )
  rm -rf "$INSTALL_TMP"
  [ "$(cs_installed_version)" = "$CODE_SERVER_VERSION" ] || { echo "code-server install failed" >&2; exit 1; }
fi

# ---- 3. playwright-core (project devDependency, from `npm ci`) ---------------------------
if ! node -e 'require.resolve("playwright-core")' 2>/dev/null; then
  (cd "$ROOT" && log "playwright-core missing from node_modules: npm ci first" && npm ci --no-audit --no-fund)
fi

# ---- 4. smoke check: code-server starts --------------------------------------------------
CHECK_HOME="$(mktemp -d)"
CS_VERSION_OUT="$(HOME="$CHECK_HOME" XDG_CONFIG_HOME="$CHECK_HOME/.config" XDG_DATA_HOME="$CHECK_HOME/.local/share" \
  "$CS_DIR/node_modules/.bin/code-server" --version 2>/dev/null)"
grep -q "with Code" <<<"$CS_VERSION_OUT" || { echo "code-server --version failed: $CS_VERSION_OUT" >&2; exit 1; }
log "code-server $(grep -m1 'with Code' <<<"$CS_VERSION_OUT")"
rm -rf "$CHECK_HOME"
log "done in $(( $(date +%s) - START )) s"
