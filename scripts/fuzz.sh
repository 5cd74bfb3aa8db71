#!/usr/bin/env bash
# Long fuzzing runs of the proptest generators in tests/api/fuzz.rs (the test suite runs them
# at a few hundred cases). Heavy: run it under the machine's heavy-job lock if you share one.
#   scripts/fuzz.sh                 # 20,000 cases per property
#   PROPTEST_CASES=200000 scripts/fuzz.sh
#   scripts/fuzz.sh gmt_lines       # only properties whose name contains this
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .deps/env.sh ] && source .deps/env.sh
export PROPTEST_CASES="${PROPTEST_CASES:-20000}"
# A failing case is shrunk and printed; proptest saves it under tests/api/proptest-regressions/
# so the next run (and the test suite) replays it first: commit that file with the fix.
exec cargo test --release --test api -- --test-threads=2 "fuzz::${1:-}"
