#!/usr/bin/env bash
# Measures issue 15's levers on the development time split (docs/model.md, "Levers").
# Needs data/dev (store, model, time-split-*.tsv) and data/dev-source, as docs/model.md builds them.
# The analysis runs in a Python venv of its own under .deps/dev-venv (numpy, scikit-learn);
# nothing here is needed to run or test genekg.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .deps/env.sh
venv=.deps/dev-venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q numpy scikit-learn; }
out=${OUT:-data/dev/levers}
mkdir -p "$out"
for o in ${ONTOLOGIES:-BP MF CC}; do
  ./target/release/genekg --data-dir data/dev eval holdout --cases data/dev/time-split-$o.tsv \
    --model data/dev/model --features-out "$out/model-$o.tsv"
  "$venv/bin/python" scripts/dev/lever_features.py data/dev-source "$out/model-$o.tsv" "$out/features-$o.tsv" "$(echo "$o" | tr A-Z a-z)"
  "$venv/bin/python" scripts/dev/lever_literature.py data/dev-source "$out/features-$o.tsv" "$out/literature-$o.tsv" "$(echo "$o" | tr A-Z a-z)"
  "$venv/bin/python" scripts/dev/lever_fit.py "$out/literature-$o.tsv" | tee "$out/fit-$o.txt"
done
# The served gene prior's weights (docs/model.md, "The served gene prior").
if [ -z "${ONTOLOGIES:-}" ]; then
  "$venv/bin/python" scripts/dev/prior_fit.py "$out"/features-{BP,MF,CC}.tsv | tee "$out/prior-fit.txt"
fi
# The served co-mention path's shape (docs/model.md, "The served co-mention path"): a copy of the
# dev model given what the served recipe adds (the gene prior, then the path; the store gets its
# small papers first if it was ingested without them), its feature rows, and the fit.
if [ -z "${ONTOLOGIES:-}" ]; then
  ./target/release/genekg --data-dir data/dev ingest default --if-empty --source data/dev-source
  rm -rf "$out/model-served" && cp -r data/dev/model "$out/model-served"
  ./target/release/genekg --data-dir data/dev model prior --model "$out/model-served"
  ./target/release/genekg --data-dir data/dev model comention --model "$out/model-served"
  for o in BP MF CC; do
    ./target/release/genekg --data-dir data/dev eval holdout --cases data/dev/time-split-$o.tsv \
      --model "$out/model-served" --features-out "$out/served-$o.tsv"
  done
  "$venv/bin/python" scripts/dev/comention_fit.py "$out"/served-{BP,MF,CC}.tsv | tee "$out/comention-fit.txt"
fi
