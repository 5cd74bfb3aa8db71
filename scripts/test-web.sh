#!/usr/bin/env bash
# The dashboard's browser tests (web/tests): builds a fixture data directory with the CLI (the
# fixture store, a small model trained on it, its predictions and indexes, as
# tests/api/helpers.rs does through the library), then runs `node --test` with headless Debian
# Chromium driven by playwright-core against `genekg serve` on that directory.
# Needs target/release/genekg (scripts/test.sh builds it) and the npm registry for the pinned
# test packages of web/tests/package-lock.json on first use. Screenshots go to web/tests/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
GENEKG="${GENEKG:-$PWD/target/release/genekg}"
[ -x "$GENEKG" ] || { echo "[test-web] $GENEKG missing: run cargo build --release first" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "[test-web] node and npm are needed (Node.js 20)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "[test-web] /usr/bin/chromium missing: run scripts/setup.sh" >&2; exit 1; }
if [ ! -f web/tests/node_modules/.package-lock.json ] || ! cmp -s web/tests/package-lock.json web/tests/node_modules/.lock-copy; then
  ( cd web/tests && npm ci --no-audit --no-fund --ignore-scripts --silent && cp package-lock.json node_modules/.lock-copy )
fi
DATA="${GENEKG_WEB_DATA:-}"
if [ -z "$DATA" ]; then
  DATA=$(mktemp -d)
  trap 'rm -rf "$DATA"' EXIT
fi
if [ ! -f "$DATA/index/.web-fixture-done" ]; then
  echo "[test-web] building the fixture data directory in $DATA" >&2
  g() { RUST_LOG=warn "$GENEKG" --data-dir "$DATA" "$@" >/dev/null; }
  g ingest orgdb --org tests/fixtures/org.Hs.eg.sqlite --go tests/fixtures/GO.sqlite
  g train --fixture-scale --threads 2
  g model predict --threads 2
  g index build
  # The same store without a model, for the page's "no model" states.
  RUST_LOG=warn "$GENEKG" --data-dir "$DATA/bare" ingest orgdb --org tests/fixtures/org.Hs.eg.sqlite --go tests/fixtures/GO.sqlite >/dev/null
  touch "$DATA/index/.web-fixture-done"
fi
GENEKG_BIN="$GENEKG" GENEKG_DATA="$DATA" GENEKG_DATA_BARE="$DATA/bare" node --test --test-reporter=spec web/tests/dashboard.test.mjs
