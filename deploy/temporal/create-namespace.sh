#!/bin/sh
# Registers the connector's namespace once the server answers (the server no longer does it itself without
# auto-setup). Retention: how long closed workflow histories stay readable, as long as the connector keeps its data
# (RETENTION_DAYS; README "Customers' data").
set -eu
address="${TEMPORAL_ADDRESS:?host:port of the frontend}"
namespace="${TEMPORAL_NAMESPACE:-default}"
i=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -ge 60 ] && { echo "Temporal at $address did not become healthy"; exit 1; }
  sleep 2
done
if temporal operator namespace describe --address "$address" -n "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --address "$address" -n "$namespace" --retention "${TEMPORAL_RETENTION:-365d}"
fi
