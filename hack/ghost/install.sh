#!/usr/bin/env bash
# Installs a real, unmodified Ghost server from the npm registry into bin/ghost/<version>/ for the contract
# suite (make test-ghost), following shared/reference/ghost.md step by step, and prints that directory.
# A second run costs nothing: a finished install leaves a marker and is reused until GHOST_VERSION changes.
#
# Why each step (measured against Ghost 5.130.6 on Node 20):
#   - npm pack + unpack, not `npm install ghost`: Ghost's package has a file: dependency that npm install
#     cannot resolve (ENOENT …tryghost-i18n…tgz); ghost-cli installs the same way.
#   - yarn classic, not npm: npm refuses a peer conflict (knex vs bookshelf); Ghost itself uses yarn 1.
#   - devDependencies dropped from the unpacked package.json: the shipped yarn.lock is the monorepo's, and
#     yarn fetches git-hosted devDependencies even with --production, from a host that cannot be reached.
#     The key is install metadata only; no server code reads it.
#   - sqlite3 built by node-gyp against the local Node headers (nodedir=/usr): its prebuilt download fails
#     here. build_from_source is NOT forced globally, or sharp tries a source build too; sharp installs
#     from its prebuilt npm packages.
#
# Caches (npm and yarn) live outside the clone, in GHOST_CACHE_DIR (default ~/.cache/invitation-operator);
# they only make a reinstall faster, correctness never depends on them.
set -euo pipefail

GHOST_VERSION=${GHOST_VERSION:-5.130.6}
YARN_VERSION=1.22.22

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dest="$root/bin/ghost/ghost-$GHOST_VERSION"
yarn_dir="$root/bin/ghost/yarn-$YARN_VERSION"
cache=${GHOST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/invitation-operator}

log() { printf 'ghost: %s\n' "$*" >&2; }

if [ -f "$dest/.installed" ] && [ "$(cat "$dest/.installed")" = "$GHOST_VERSION" ]; then
  printf '%s\n' "$dest"
  exit 0
fi

# Build tools for node-gyp, installed only when missing.
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} from Debian packages"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { log "node and npm are needed"; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
case "$node_major" in
  18|20|22) ;;
  *) log "Ghost $GHOST_VERSION supports Node 18, 20 and 22; this is Node $(node --version)"; exit 1 ;;
esac
[ -f /usr/include/node/node_version.h ] || { log "the Node headers (/usr/include/node) are needed to build sqlite3"; exit 1; }

export npm_config_cache="$cache/npm"
export YARN_CACHE_FOLDER="$cache/yarn"
mkdir -p "$npm_config_cache" "$YARN_CACHE_FOLDER"
start=$(date +%s)

# unpack <package@version> <dir>: npm pack into a scratch dir, then unpack the tarball's package/ into dir.
unpack() {
  local scratch
  scratch=$(mktemp -d)
  (cd "$scratch" && npm pack --silent "$1" >/dev/null)
  mkdir -p "$2"
  tar -xzf "$scratch"/*.tgz -C "$2" --strip-components=1
  rm -rf "$scratch"
}

if [ ! -f "$yarn_dir/bin/yarn.js" ]; then
  log "fetching yarn $YARN_VERSION"
  rm -rf "$yarn_dir.partial"
  unpack "yarn@$YARN_VERSION" "$yarn_dir.partial"
  rm -rf "$yarn_dir" && mv "$yarn_dir.partial" "$yarn_dir"
fi

log "installing Ghost $GHOST_VERSION (5-7 minutes from empty caches on 2 cores, once)"
work="$dest.partial"
rm -rf "$work"
unpack "ghost@$GHOST_VERSION" "$work"
node -e '
  const fs = require("fs"), f = process.argv[1];
  const p = JSON.parse(fs.readFileSync(f, "utf8"));
  delete p.devDependencies;
  fs.writeFileSync(f, JSON.stringify(p, null, 2) + "\n");
' "$work/package.json"
(
  cd "$work"
  export npm_config_nodedir=/usr
  node "$yarn_dir/bin/yarn.js" install --production --non-interactive --no-progress --network-timeout 600000 >&2
  # Both native modules must load, or Ghost fails at its first request rather than here.
  node -e 'require("sqlite3"); require("sharp")' >&2
)
printf '%s\n' "$GHOST_VERSION" > "$work/.installed"
rm -rf "$dest" && mv "$work" "$dest"
log "installed in $(( $(date +%s) - start ))s: $dest"
printf '%s\n' "$dest"
