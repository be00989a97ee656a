#!/usr/bin/env bash
# Set-up: installs every dependency from the lockfile with a Node that Hardhat 3 accepts (>= 22.13). On a machine
# whose Node is older (Debian's 20), npm there would silently skip Hardhat's native EDR binding, so we first fetch
# Node 24 from the npm registry into .tools/ and run `npm ci` under it. Scripts then run under node_modules/.bin/node
# (the `node` devDependency), whatever Node the shell has.
#
#   bash scripts/setup.sh               install (always)
#   bash scripts/setup.sh --if-needed   install only when node_modules is missing or older than package-lock.json
#                                       (what `npm start` and `npm test` run first; a no-op in ~10 ms otherwise)
#   bash scripts/setup.sh --browser     also install Debian's chromium when /usr/bin/chromium is missing (root)
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0   # keep equal to devDependencies.node in package.json
STAMP=node_modules/.dcmx-setup-lock   # a copy of the package-lock.json the last successful install used

if_needed=0
browser=0
for arg in "$@"; do
  case "$arg" in
    --if-needed) if_needed=1 ;;
    --browser) browser=1 ;;
    *) echo "setup: unknown option $arg (use --if-needed, --browser)" >&2; exit 2 ;;
  esac
done

installed() {
  [ -x node_modules/.bin/node ] && [ -f "$STAMP" ] && [ -f node_modules/.package-lock.json ] &&
    if command -v cmp >/dev/null 2>&1; then cmp -s package-lock.json "$STAMP"; else [ "$(<package-lock.json)" == "$(<"$STAMP")" ]; fi &&
    node_modules/.bin/node -e 'process.exit(process.versions.node.split(".")[0] >= 22 ? 0 : 1)' 2>/dev/null
}

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)'
}

install() {
  if ! node_ok; then
    echo "setup: system Node $(node -v 2>/dev/null || echo none) is too old for Hardhat 3; fetching node@$NODE_VERSION from the npm registry"
    npm install --prefix .tools --no-save --no-package-lock --no-audit --no-fund "node@$NODE_VERSION" >/dev/null
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  fi
  echo "setup: installing with Node $(node -v)"
  rm -f "$STAMP"
  npm ci --no-audit --no-fund
  # The compiled node (node/dist): `dcmx` runs it while it is newer than its sources (node/bin/dcmx.js).
  npm run build -w @dcmx/node --silent
  cp package-lock.json "$STAMP"
}

browser() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's chromium for the browser tests (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing and this is not root: the browser tests need it." >&2
    echo "setup: install it with 'sudo apt-get install -y chromium' (Debian/Ubuntu), then run npm test again." >&2
  fi
}

if [ "$if_needed" = 1 ] && installed; then
  :
else
  install
  echo "setup: done. 'npm start' runs the local network with the app, 'npm test' every test."
fi
if [ "$browser" = 1 ]; then browser; fi
