#!/usr/bin/env bash
# Idempotent setup for genekg on a fresh Debian machine: installs only what is missing.
#   - apt packages the build and the tests need
#   - libtorch 2.13.0 (for tch 0.26), unpacked from PyPI's torch wheel into .deps/libtorch
#   - the default data: Bioconductor's org.Hs.eg.db and GO.db SQLite files into data/source
# Prints the environment to use (LIBTORCH) into .deps/env.sh, which the run/test scripts source.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEPS="$ROOT/.deps"
DATA_SRC="${GENEKG_SOURCE_DIR:-$ROOT/data/source}"
TORCH_VERSION=2.13.0
CUDART_VERSION=13.0.96
CUPTI_VERSION=13.0.85
mkdir -p "$DEPS" "$DATA_SRC"

say() { echo "[setup] $*" >&2; }

# ---- Rust, first: everything after it builds with cargo ---------------------------------------
bash scripts/check-rust.sh

# ---- apt packages -----------------------------------------------------------------------------
# cmake, clang and libclang-dev build llama.cpp for the local LLM backend (llama-cpp-2).
# wrk, curl and python3-venv are for the benchmarks (scripts/bench.sh: HTTP load, gseapy's venv).
APT_PACKAGES=(build-essential pkg-config unzip ca-certificates chromium cmake clang libclang-dev wrk curl python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing apt packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Node.js and npm run the dashboard's browser tests (web/tests); machine images that ship
# Node.js 20 keep it, a machine without one gets Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "installing Node.js and npm from Debian (for the dashboard's browser tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# ---- libtorch from the PyPI torch wheel ------------------------------------------------------
# tch's own download feature and LIBTORCH_USE_PYTORCH both fail here; the wheel holds the same
# shared libraries. libtorch_cpu.so looks for the CUDA runtime at $ORIGIN/../../nvidia/cu13/lib,
# so torch/ and nvidia/ are kept side by side.
LT="$DEPS/libtorch"
if [ ! -f "$LT/.complete-$TORCH_VERSION" ]; then
  # The wheel download is cached per machine, outside any checkout, so fresh clones reuse it.
  WHEELS="${GENEKG_CACHE:-$HOME/.cache/genekg}/wheels"
  mkdir -p "$WHEELS"
  if ! ls "$WHEELS"/torch-$TORCH_VERSION-*.whl >/dev/null 2>&1; then
    say "downloading torch $TORCH_VERSION wheel from PyPI (~530 MB, cached in $WHEELS)"
    python3 -m pip download -q --no-deps -d "$WHEELS" \
      "torch==$TORCH_VERSION" "nvidia-cuda-runtime==$CUDART_VERSION" "nvidia-cuda-cupti==$CUPTI_VERSION"
  fi
  say "unpacking libtorch into $LT"
  rm -rf "$LT"; mkdir -p "$LT"
  python3 - "$WHEELS" "$LT" <<'PY'
import glob, os, sys, zipfile
wheels, out = sys.argv[1], sys.argv[2]
want_torch = {"torch/lib/libtorch_cpu.so", "torch/lib/libtorch.so", "torch/lib/libc10.so", "torch/lib/libgomp.so.1"}
want_nv = {"nvidia/cu13/lib/libcudart.so.13", "nvidia/cu13/lib/libcupti.so.13"}
for whl in glob.glob(os.path.join(wheels, "*.whl")):
    with zipfile.ZipFile(whl) as z:
        for name in z.namelist():
            if name.startswith("torch/include/") or name in want_torch or name in want_nv:
                z.extract(name, out)
missing = [p for p in want_torch | want_nv if not os.path.exists(os.path.join(out, p))]
if missing:
    sys.exit(f"libtorch unpack incomplete, missing: {missing}")
PY
  touch "$LT/.complete-$TORCH_VERSION"
fi

# ---- default data: Bioconductor annotation packages from Debian ------------------------------
if [ ! -f "$DATA_SRC/SOURCES.json" ] || [ ! -f "$DATA_SRC/org.Hs.eg.sqlite" ] || [ ! -f "$DATA_SRC/GO.sqlite" ]; then
  say "fetching default data (r-bioc-org.hs.eg.db, r-bioc-go.db) into $DATA_SRC"
  tmp=$(mktemp -d)
  ( cd "$tmp" && apt-get download r-bioc-org.hs.eg.db r-bioc-go.db >/dev/null 2>&1 ) || {
    apt-get update -qq; ( cd "$tmp" && apt-get download r-bioc-org.hs.eg.db r-bioc-go.db >/dev/null ); }
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
  org=$(find "$tmp/x" -name org.Hs.eg.sqlite | head -1)
  go=$(find "$tmp/x" -name GO.sqlite | head -1)
  [ -n "$org" ] && [ -n "$go" ] || { echo "default data packages did not contain the SQLite files" >&2; exit 1; }
  cp "$org" "$DATA_SRC/org.Hs.eg.sqlite"; cp "$go" "$DATA_SRC/GO.sqlite"
  python3 "$ROOT/scripts/write_sources.py" "$tmp" "$DATA_SRC"
  rm -rf "$tmp"
fi

# ---- the local LLM's test model (98 MB; the default 1.1 GB model is fetched by run.sh) ----------
GENEKG_TEST_LLM=$(bash scripts/fetch-llm.sh test)

cat > "$DEPS/env.sh" <<ENV
export GENEKG_TEST_LLM="$GENEKG_TEST_LLM"
export LIBTORCH="$LT/torch"
export LIBTORCH_CXX11_ABI=1
export LD_LIBRARY_PATH="$LT/torch/lib:$LT/nvidia/cu13/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
ENV
say "ready (libtorch $TORCH_VERSION at $LT/torch, data in $DATA_SRC)"
