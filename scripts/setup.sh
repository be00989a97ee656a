#!/usr/bin/env bash
# One-time set-up: installs every dependency from the lockfile with a Node that
# Hardhat 3 accepts (>= 22.13). On a machine whose Node is older (Debian's 20),
# npm there would silently skip Hardhat's native EDR binding, so we first fetch
# Node 24 from the npm registry into .tools/ and run `npm ci` under it.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0   # keep equal to devDependencies.node in package.json

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)'
}

if ! node_ok; then
  echo "setup: system Node $(node -v 2>/dev/null || echo none) is too old for Hardhat 3; fetching node@$NODE_VERSION from the npm registry"
  npm install --prefix .tools --no-save --no-package-lock --no-audit --no-fund "node@$NODE_VERSION" >/dev/null
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
fi
echo "setup: installing with Node $(node -v)"
npm ci --no-audit --no-fund
# Scripts run under node_modules/.bin/node (the `node` devDependency), whatever Node the shell has.
echo "setup: done. Run 'npm run chain' for the local network, 'npm test' for every test."
