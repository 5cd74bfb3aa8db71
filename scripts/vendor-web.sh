#!/usr/bin/env bash
# Reproduces web/app/vendor/: the dashboard's two runtime dependencies, fetched from the npm
# registry with `npm pack` (no install, no scripts run) and copied as-is. The server compiles
# them in (src/http/routes/web.rs), so the dashboard needs no CDN and works offline.
#   - htm's preact/standalone.module.js: Preact 10 + hooks + htm in one ES module (~13 KB)
#   - cytoscape's ES module build, for the neighbourhood graph (loaded only on gene pages)
# Versions, tarball sha256 sums and file sums are written to web/app/vendor/VERSIONS.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/npm-vendor.sh
HTM_VERSION=3.1.1
CYTOSCAPE_VERSION=3.35.0
OUT=web/app/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

npm_unpack "$tmp" "htm@$HTM_VERSION" "cytoscape@$CYTOSCAPE_VERSION"

mkdir -p "$OUT"
cp "$tmp/htm-$HTM_VERSION/package/preact/standalone.module.js" "$OUT/preact-htm.js"
cp "$tmp/cytoscape-$CYTOSCAPE_VERSION/package/dist/cytoscape.esm.min.mjs" "$OUT/cytoscape.esm.min.js"
cp "$tmp/htm-$HTM_VERSION/package/LICENSE" "$OUT/LICENSE.htm"
cp "$tmp/cytoscape-$CYTOSCAPE_VERSION/package/LICENSE" "$OUT/LICENSE.cytoscape"

{
  echo "# Vendored by scripts/vendor-web.sh from the npm registry; do not edit by hand."
  echo "htm $HTM_VERSION (Apache-2.0; preact/standalone bundles Preact 10 and its hooks, MIT) tarball sha256 $(tarball_sha "$tmp" htm "$HTM_VERSION")"
  echo "cytoscape $CYTOSCAPE_VERSION (MIT) tarball sha256 $(tarball_sha "$tmp" cytoscape "$CYTOSCAPE_VERSION")"
  (cd "$OUT" && sha256sum preact-htm.js cytoscape.esm.min.js)
} > "$OUT/VERSIONS"
echo "[vendor-web] wrote $OUT (htm $HTM_VERSION, cytoscape $CYTOSCAPE_VERSION)" >&2
