#!/usr/bin/env bash
# Reproduces web/graphiql/: the GraphiQL UMD build and the React UMD builds it needs, fetched
# from the npm registry with `npm pack` (no install, no scripts run) and copied as-is. The server
# compiles these files in and serves them at /graphiql, so the page needs no CDN.
#
# GraphiQL 3.x is the last line with a UMD build (4 dropped it); React 18 is the last with UMD
# builds (19 dropped them). Versions and sha256 sums are written to web/graphiql/VERSIONS.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/npm-vendor.sh
GRAPHIQL_VERSION=3.8.3
REACT_VERSION=18.3.1
OUT=web/graphiql
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

npm_unpack "$tmp" "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION"

mkdir -p "$OUT"
cp "$tmp/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.js" "$OUT/"
cp "$tmp/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.css" "$OUT/"
cp "$tmp/react-$REACT_VERSION/package/umd/react.production.min.js" "$OUT/"
cp "$tmp/react-dom-$REACT_VERSION/package/umd/react-dom.production.min.js" "$OUT/"
cp "$tmp/graphiql-$GRAPHIQL_VERSION/package/LICENSE" "$OUT/LICENSE.graphiql"
cp "$tmp/react-$REACT_VERSION/package/LICENSE" "$OUT/LICENSE.react"

{
  echo "# Vendored by scripts/vendor-graphiql.sh from the npm registry; do not edit by hand."
  echo "graphiql $GRAPHIQL_VERSION (MIT) tarball sha256 $(tarball_sha "$tmp" graphiql "$GRAPHIQL_VERSION")"
  echo "react $REACT_VERSION (MIT) tarball sha256 $(tarball_sha "$tmp" react "$REACT_VERSION")"
  echo "react-dom $REACT_VERSION (MIT) tarball sha256 $(tarball_sha "$tmp" react-dom "$REACT_VERSION")"
  (cd "$OUT" && sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js)
} > "$OUT/VERSIONS"
echo "[vendor-graphiql] wrote $OUT (graphiql $GRAPHIQL_VERSION, react $REACT_VERSION)" >&2
