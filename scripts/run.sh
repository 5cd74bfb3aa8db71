#!/usr/bin/env bash
# The main job on a fresh Debian machine: set up, build, ingest the default data on first use,
# and print what the store holds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source .deps/env.sh
echo "[run] building genekg (release)" >&2
cargo build --release --quiet
GENEKG=target/release/genekg
echo "[run] ingesting the default data into data/genekg.db (skipped when already there)" >&2
$GENEKG ingest default --if-empty
$GENEKG stats
