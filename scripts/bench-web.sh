#!/usr/bin/env bash
# Dashboard benchmark (not a timed test): time until the gene page shows its table, and the
# page's compressed size. Serves a copy of the default data's store (sled allows one process
# per store) with its model and indexes on a free port.
#   DATA_DIR (default data), GENE (default TP53), RUNS (default 7), BENCH_JSON (also write the
#   figures to this file as JSON)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR="${DATA_DIR:-data}"
GENEKG="${GENEKG:-$PWD/target/release/genekg}"
[ -d "$DATA_DIR/index" ] || { echo "[bench-web] $DATA_DIR has no index: run scripts/run.sh first" >&2; exit 1; }
( cd web/tests && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --ignore-scripts --silent )
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
cp -r "$DATA_DIR/genekg.db" "$tmp/genekg.db"
ln -s "$(realpath "$DATA_DIR/model")" "$tmp/model"
ln -s "$(realpath "$DATA_DIR/index")" "$tmp/index"
RUST_LOG=warn "$GENEKG" --data-dir "$tmp" serve --addr 127.0.0.1:0 > "$tmp/serve.out" &
pid=$!
for _ in $(seq 600); do grep -q http "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -1)
[ -n "$url" ] || { echo "[bench-web] the server did not start" >&2; exit 1; }
GENEKG_URL="$url" node web/tests/bench.mjs
