#!/usr/bin/env bash
# The main job on a fresh Debian machine: set up, build, then on first use ingest the default
# data, train the default model, store its predictions and build the neighbourhood indexes;
# finally serve the GraphQL API. Every step is skipped when its result is already there, so a
# second run goes straight to serving.
#   GENEKG_ADDR   address to serve on (default 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source .deps/env.sh
echo "[run] building genekg (release)" >&2
cargo build --release --quiet
GENEKG=target/release/genekg
echo "[run] 1/4 ingesting the default data into data/genekg.db (skipped when present)" >&2
$GENEKG ingest default --if-empty
$GENEKG stats
if [ ! -f data/model/config.json ]; then
  echo "[run] 2/4 training the default model into data/model (a few minutes on 2 cores)" >&2
  $GENEKG train --resume
else
  echo "[run] 2/4 model present in data/model (delete it to retrain)" >&2
fi
echo "[run] 3/4 storing the model's predictions for every set (skipped when current)" >&2
$GENEKG model predict --if-stale
echo "[run] 4/4 building the neighbourhood indexes (skipped when current)" >&2
$GENEKG index build --if-stale
# The local LLM rewrites explanations (GENEKG_LLM=none serves the template only).
if [ "${GENEKG_LLM:-local}" = local ]; then
  echo "[run] fetching the default local LLM (1.1 GB, once; cached outside the checkout)" >&2
  export GENEKG_LLM=local GENEKG_LLM_MODEL_PATH="${GENEKG_LLM_MODEL_PATH:-$(bash scripts/fetch-llm.sh default)}"
fi
ADDR="${GENEKG_ADDR:-127.0.0.1:8080}"
echo "[run] serving on http://$ADDR/graphql (GraphiQL: http://$ADDR/graphiql)" >&2
exec $GENEKG serve --addr "$ADDR"
