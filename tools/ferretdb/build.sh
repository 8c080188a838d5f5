#!/usr/bin/env bash
# Builds FerretDB 1.24 (SQLite) from this folder into "$1", with one fix to FerretDB itself.
#
# FerretDB 1.24's SQLite backend finds, updates and deletes by `_id` with `WHERE _ferretdb_sjson->'$._id' = ?`, but
# indexes `_id` as `_ferretdb_sjson->"_id"`. SQLite uses an expression index only for the very same expression, so
# every one of those statements scanned the whole table (EXPLAIN QUERY PLAN: `SCAN`), and the store slowed with
# each document (README "The store under load"). `->'_id'` reads the same value (SQLite: a label X on the right of
# `->` means `$.X`) and matches the index (`SEARCH … USING INDEX …__id_`), as FerretDB's PostgreSQL backend writes
# it. The fix is applied to a vendored copy of the module in a temporary folder; nothing is kept but the binary.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
out="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp "$src/main.go" "$src/go.mod" "$src/go.sum" "$work/"
cd "$work"
go mod vendor
file=vendor/github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata/metadata.go
chmod u+w "$file"
sed -i.orig "s|IDColumn = DefaultColumn + \"->'\\\$._id'\"|IDColumn = DefaultColumn + \"->'_id'\"|" "$file"
# A FerretDB whose line differs must not be built unpatched without anyone noticing.
grep -q "IDColumn = DefaultColumn + \"->'_id'\"" "$file" || { echo "tools/ferretdb/build.sh: the _id expression to fix is not in $file" >&2; exit 1; }
# -trimpath: the temporary folder's name stays out of the build, so Go's build cache serves the next build.
CGO_ENABLED=0 go build -mod=vendor -trimpath -o "$out" .
