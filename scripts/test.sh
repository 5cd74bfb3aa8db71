#!/usr/bin/env bash
# All tests on a fresh Debian machine: set up, then the whole suite (release profile, so the
# tests and the binary share one build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source .deps/env.sh
# genekg-lite on its own: built in one command with genekg, cargo would unify the features and
# link libtorch into it (tests/cli_enrich.rs checks that it does not).
cargo build --release -p genekg-lite
cargo test --release --all-targets "$@"
# The dashboard in headless Chromium against `genekg serve` (web/tests; needs the binary above).
bash scripts/test-web.sh
