#!/usr/bin/env bash
# Builds or fetches what the service and its tests run on, into the git-ignored .tools/ folder; reuses what is
# there. Idempotent and quiet when there is nothing to do. Called by `npm start`, `npm test` and .ci/run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"

say() { printf 'provision: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { say "$1 is needed to $2 but is not installed"; exit 1; }; }
timed() { local what=$1 start=$SECONDS; shift; say "$what…"; "$@"; say "$what: done in $((SECONDS - start)) s"; }

temporal_cli() {
  # An existing cluster, or a temporal already on PATH, needs no build.
  if [[ -n "${TEMPORAL_ADDRESS:-}" || -x "$tools/bin/temporal" ]] || command -v temporal >/dev/null 2>&1; then return; fi
  need go "build the Temporal CLI"
  # v1.5.1 is the newest CLI whose go.mod has no replace directive, so `go install` can build it (server 1.29.1 inside).
  timed "building the Temporal CLI v1.5.1 (first time: a few minutes)" \
    env CGO_ENABLED=0 GOBIN="$tools/bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1
}

ferretdb() {
  [[ -n "${MONGODB_URL:-}" ]] && return
  local src="$root/tools/ferretdb" bin="$tools/bin/ferretdb"
  if [[ -x "$bin" && "$bin" -nt "$src/main.go" && "$bin" -nt "$src/go.mod" && "$bin" -nt "$src/go.sum" ]]; then return; fi
  need go "build FerretDB"
  timed "building FerretDB 1.24 (SQLite)" bash -c "cd '$src' && CGO_ENABLED=0 go build -o '$bin' ."
}

temporal_test_server() {
  local pom="$root/tools/temporal-test-server/pom.xml" lib="$tools/temporal-test-server/lib"
  local version
  version="$(sed -n 's:.*<version>\([0-9.]*\)</version>.*:\1:p' "$pom" | tail -n 1)"
  [[ -f "$lib/temporal-test-server-$version.jar" ]] && return
  need java "run Temporal's time-skipping test server"
  need mvn "fetch Temporal's time-skipping test server"
  rm -rf "$lib"
  timed "fetching temporal-test-server $version from Maven Central" \
    mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$lib"
}

node_modules() {
  # npm records the installed tree in node_modules/.package-lock.json; a newer lock file (a pull that changed the
  # dependencies) means the tree is stale.
  local installed="$root/node_modules/.package-lock.json"
  [[ -f "$installed" && "$installed" -nt "$root/package-lock.json" ]] && return
  timed "installing npm packages" npm ci --prefix "$root" --no-audit --no-fund
}

web_console() {
  # The console is served by the API from console/dist; `npm test` rebuilds it every time, `npm start` when missing.
  [[ -f "$root/console/dist/app.js" ]] && return
  timed "building the web console" npx --prefix "$root" tsx "$root/scripts/build-console.ts"
}

node_modules
temporal_cli
ferretdb
temporal_test_server
web_console
