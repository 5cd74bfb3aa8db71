#!/usr/bin/env bash
# genekg enrichment versus gseapy's offline `enrich`, side by side (prints figures; not a test).
# Installs gseapy from PyPI into a throwaway venv under data/ (git-ignored), exports the default
# store's libraries to GMT, and runs both tools on the same GMTs and gene lists of 100, 300 and
# 1000 genes (see scripts/bench_enrich.py for what is timed).
#   usage: scripts/bench-enrich.sh [--json FILE] [LIBRARY ...]   (default: GO_BP GO_MF GO_CC PubMed)
#   --json also writes the figures to FILE (scripts/bench.sh collects it)
#   env:   GENEKG_DB  store to use (default: data/bench-enrich/genekg.db, ingested on first use;
#          a store given is used as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .deps/env.sh ] && source .deps/env.sh
if [ "${1:-}" = --json ]; then export BENCH_ENRICH_JSON="$2"; shift 2; fi
LIBRARIES=("$@")
[ ${#LIBRARIES[@]} -gt 0 ] || LIBRARIES=(GO_BP GO_MF GO_CC PubMed)
WORK=data/bench-enrich
VENV=data/venvs/gseapy
mkdir -p "$WORK"
cargo build --release --quiet
cargo build --release --quiet -p genekg-lite
# Private copies: a shared target directory may be rebuilt by another checkout meanwhile.
cp "${CARGO_TARGET_DIR:-target}/release/genekg" "$WORK/genekg"
cp "${CARGO_TARGET_DIR:-target}/release/genekg-lite" "$WORK/genekg-lite"
BIN="$WORK/genekg"
DB="${GENEKG_DB:-$WORK/genekg.db}"
[ -n "${GENEKG_DB:-}" ] || "$BIN" --db "$DB" ingest default --if-empty --source-dir data/source 2>/dev/null
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import gseapy" 2>/dev/null; then
    echo "[bench] installing gseapy into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q gseapy==1.3.1
fi
for lib in "${LIBRARIES[@]}"; do
    "$BIN" --db "$DB" export gmt --library "$lib" --ids entrez --out "$WORK/$lib.gmt" 2>/dev/null
done
"$VENV/bin/python" scripts/bench_enrich.py "$BIN" "$WORK/genekg-lite" "$DB" "$WORK" "${LIBRARIES[@]}"
