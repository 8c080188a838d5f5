#!/usr/bin/env bash
# Runs Temporal's Java time-skipping test server with the jars scripts/provision.sh fetched.
# `exec` so the SDK's teardown signal reaches the JVM itself, not a shell left holding it.
set -euo pipefail
lib="$(cd "$(dirname "$0")/.." && pwd)/.tools/temporal-test-server/lib"
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -cp "$lib/*" io.temporal.testserver.TestServer "$@"
