#!/usr/bin/env bash
# All tests on a fresh Debian machine: set up, then the whole suite (release profile, so the
# tests and the binary share one build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source .deps/env.sh
cargo test --release --all-targets "$@"
