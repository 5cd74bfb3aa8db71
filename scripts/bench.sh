#!/usr/bin/env bash
# Every benchmark of genekg in one run, on a copy of the default data; writes OUT/bench.json (all
# figures, with date, git commit and machine) and OUT/bench.md (figure, value, bar from the
# issues, met or not). Prints figures; never a test.
#
#   scripts/bench.sh [--quick] [--only a,b] [--skip a,b] [--data-dir data] [--out data/bench]
#                    [--lock FILE] [--train-epochs 2] [--llm-genes 10] [--index-scale N]
#
# Benchmarks, in the order run (names for --only/--skip):
#   ingest     `genekg ingest default` into a fresh store (wall time)
#   train      `genekg train` with the default recipe for --train-epochs epochs (its sets/s)
#   model      `genekg model bench`: augment latency, first-layer variants, predict+store
#   index      `genekg bench index`: HNSW build, recall@10, query latency, speed-up
#   criterion  `cargo bench --bench enrich`: in-process ORA and rank enrichment
#   enrich     scripts/bench-enrich.sh: genekg versus gseapy end to end
#   ask        `genekg bench ask`
#   explain    `genekg bench explain`: template and cached; with the local LLM on --llm-genes genes
#   http       scripts/bench-http.sh: GraphQL versus a trivial endpoint (wrk)
#   load       scripts/load.sh: the dashboard's query mix with the gene page's own load beside it,
#              then the gene page alone
#   web        scripts/bench-web.sh: gene page until its table shows, bundle size (Chromium)
# --quick: no training (train, model's training variants, predict+store), no LLM, shorter HTTP
#   and load runs (10 s and 20 s instead of 20 s and 60 s).
# --lock FILE: each benchmark runs holding `flock FILE` (e.g. /tmp/genekg-heavy.lock), released
#   between benchmarks, so a shared machine runs one heavy job at a time.
# OUT keeps one JSON per benchmark (OUT/parts); a later run with --only replaces those it runs
# and the report is rebuilt from every part present, each with its own date and load average.
# DATA_DIR must hold genekg.db, model, index and source (scripts/run.sh makes them); the store
# is copied first (sled opens a store in one process only), DATA_DIR is never written.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ALL=(ingest train model index criterion enrich ask explain http load web)
DATA=data
OUT=data/bench
QUICK=0
ONLY=""
SKIP=""
LOCK=""
TRAIN_EPOCHS=2
LLM_GENES=10
INDEX_SCALE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --only) ONLY="$2"; shift 2 ;;
    --skip) SKIP="$2"; shift 2 ;;
    --data-dir) DATA="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --lock) LOCK="$2"; shift 2 ;;
    --train-epochs) TRAIN_EPOCHS="$2"; shift 2 ;;
    --llm-genes) LLM_GENES="$2"; shift 2 ;;
    --index-scale) INDEX_SCALE="$2"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "[bench] $*" >&2; }
for name in ${ONLY//,/ } ${SKIP//,/ }; do
  [[ " ${ALL[*]} " == *" $name "* ]] || { echo "no benchmark named $name (one of: ${ALL[*]})" >&2; exit 2; }
done
selected() {
  [[ ",$SKIP," == *",$1,"* ]] && return 1
  [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]
}
if [ "$QUICK" = 1 ]; then
  # Quick leaves training out whatever --only says; the LLM and predict+store are left out below.
  SKIP="$SKIP,train"
fi

# ---- what the run needs, checked before anything is measured ---------------------------------
missing=()
for need in genekg.db model index source; do [ -e "$DATA/$need" ] || missing+=("$DATA/$need"); done
[ ${#missing[@]} -eq 0 ] || { echo "missing ${missing[*]}: run scripts/run.sh first (or pass --data-dir)" >&2; exit 1; }
tools=(python3 curl)
if selected http || selected load; then tools+=(wrk); fi
if selected web; then tools+=(node npm chromium); fi
absent=()
for t in "${tools[@]}"; do command -v "$t" >/dev/null || absent+=("$t"); done
if selected enrich && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then absent+=(python3-venv); fi
if [ ${#absent[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${absent[@]}" | sed 's/^node$/nodejs/' | sort -u | tr '\n' ' ')
  echo "missing tools: ${absent[*]}. scripts/setup.sh installs them, or: apt-get install -y $pkgs(or leave those benchmarks out with --skip)" >&2
  exit 1
fi

[ -f .deps/env.sh ] && source .deps/env.sh
say "building genekg, genekg-lite and the criterion bench (release)"
cargo build --release --quiet
cargo build --release --quiet -p genekg-lite
selected criterion && cargo bench --bench enrich --no-run --quiet 2>/dev/null
mkdir -p "$OUT/parts"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/genekg-bench.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
# A private copy of the binary: the shared target directory may be rebuilt meanwhile.
BIN="$WORK/genekg"
cp "${CARGO_TARGET_DIR:-target}/release/genekg" "$BIN"
# bench-enrich.sh reads genekg's info log lines: RUST_LOG stays as it is.
export GENEKG_BIN="$BIN" GENEKG_LLM=none
DATA=$(cd "$DATA" && pwd)
COPY="$WORK/data"
copy_store() {
  [ -e "$COPY/genekg.db" ] && return
  say "copying the store ($(du -sh "$DATA/genekg.db" | cut -f1))"
  mkdir -p "$COPY"
  cp -r "$DATA/genekg.db" "$COPY/genekg.db"
  for d in model index source; do ln -s "$DATA/$d" "$COPY/$d"; done
}

# ---- the benchmarks: each writes its figures as JSON to $RAW ---------------------------------
bench_ingest() {
  local t0; t0=$(date +%s.%N)
  "$BIN" --db "$WORK/ingest.db" ingest default --source-dir "$DATA/source" >/dev/null
  python3 -c 'import json,sys; print(json.dumps({"seconds": float(sys.argv[1]) - float(sys.argv[2]), "store_mb": int(sys.argv[3])}))' \
    "$(date +%s.%N)" "$t0" "$(du -sm "$WORK/ingest.db" | cut -f1)" >"$RAW"
  rm -rf "$WORK/ingest.db"
}
bench_train() {
  copy_store
  "$BIN" --db "$COPY/genekg.db" train --out "$WORK/train-model" --stop-after "$TRAIN_EPOCHS" >"$RAW"
  rm -rf "$WORK/train-model"
}
bench_model() {
  copy_store
  if [ "$QUICK" = 1 ]; then
    "$BIN" --data-dir "$COPY" model bench --json --steps 0 >"$RAW"
  else
    "$BIN" --data-dir "$COPY" model bench --json --batch-sizes 256 >"$WORK/model-bench.json"
    # Prediction as `genekg model predict` runs it: with passive OpenMP waiting (it runs itself
    # again so, see model::rerun_with_passive_openmp); the augment timings above keep spinning,
    # as a server does.
    OMP_WAIT_POLICY=PASSIVE "$BIN" --data-dir "$COPY" model bench --json --steps 0 --predict >"$WORK/model-predict.json"
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r["predict"] = json.load(open(sys.argv[2]))["predict"]; print(json.dumps(r))' \
      "$WORK/model-bench.json" "$WORK/model-predict.json" >"$RAW"
  fi
}
bench_index() {
  copy_store
  "$BIN" --data-dir "$COPY" bench index --json ${INDEX_SCALE:+--scale "$INDEX_SCALE"} >"$RAW"
}
bench_criterion() {
  copy_store
  local dir="${CARGO_TARGET_DIR:-target}/criterion/enrich"
  rm -rf "$dir"
  GENEKG_DB="$COPY/genekg.db" cargo bench --quiet --bench enrich >&2
  python3 - "$dir" >"$RAW" <<'EOF'
import json, os, sys
out = {}
for name in sorted(os.listdir(sys.argv[1])):
    f = os.path.join(sys.argv[1], name, "new", "estimates.json")
    if os.path.exists(f):
        e = json.load(open(f))
        out[name] = {"median_ms": e["median"]["point_estimate"] / 1e6, "mean_ms": e["mean"]["point_estimate"] / 1e6}
if not out:
    sys.exit("criterion wrote no estimates (was the bench skipped for want of a store?)")
print(json.dumps(out))
EOF
}
bench_enrich() {
  copy_store
  # One-shot enrichment reads the store's enrichment index file; a store made before it has none.
  if "$BIN" enrich-index --help >/dev/null 2>&1 && ! "$BIN" --db "$COPY/genekg.db" enrich-index --check >/dev/null 2>&1; then
    "$BIN" --db "$COPY/genekg.db" enrich-index >&2
  fi
  GENEKG_DB="$COPY/genekg.db" bash scripts/bench-enrich.sh --json "$RAW" >&2
}
bench_ask() {
  copy_store
  "$BIN" --data-dir "$COPY" bench ask --json >"$RAW"
}
bench_explain() {
  copy_store
  "$BIN" --data-dir "$COPY" bench explain --json --genes 50 --llm none >"$WORK/explain-template.json"
  if [ "$QUICK" = 1 ] || [ "$LLM_GENES" = 0 ]; then
    cp "$WORK/explain-template.json" "$RAW"
    return
  fi
  local model; model=$(bash scripts/fetch-llm.sh default)
  "$BIN" --data-dir "$COPY" bench explain --json --genes 50 --range "0..$LLM_GENES" \
    --llm local --llm-model-path "$model" --llm-threads 1 >"$WORK/explain-llm.json"
  python3 - "$WORK/explain-template.json" "$WORK/explain-llm.json" "$LLM_GENES" >"$RAW" <<'EOF'
import json, sys
out = json.load(open(sys.argv[1]))
out["llm"] = json.load(open(sys.argv[2])).get("llm")
# The LLM rewrites only the first --llm-genes of the 50 genes the template ran on.
if out["llm"] is not None:
    out["llm"]["genes"] = int(sys.argv[3])
print(json.dumps(out))
EOF
}
bench_http() {
  copy_store
  bash scripts/bench-http.sh --db "$COPY/genekg.db" --duration "$([ "$QUICK" = 1 ] && echo 10s || echo 20s)" --json "$RAW" >&2
}
bench_load() {
  copy_store
  local mix=60 alone=20
  [ "$QUICK" = 1 ] && mix=20 && alone=10
  # load.sh exits non-zero on errors under load; its JSON is written first and still counts.
  bash scripts/load.sh --data-dir "$COPY" --duration "$mix" --json "$WORK/load-mix.json" >&2 || true
  bash scripts/load.sh --data-dir "$COPY" --only gene_page --connections 16 --duration "$alone" \
    --json "$WORK/load-gene-page.json" >&2 || true
  python3 - "$WORK/load-mix.json" "$WORK/load-gene-page.json" >"$RAW" <<'EOF'
import json, os, sys
mix, alone = (json.load(open(p)) if os.path.exists(p) else None for p in sys.argv[1:3])
if mix is None:
    sys.exit("load.sh wrote no figures for the mix")
print(json.dumps({"mix": mix, "gene_page_alone": alone}))
EOF
}
bench_web() {
  copy_store
  DATA_DIR="$COPY" GENEKG="$BIN" BENCH_JSON="$RAW" bash scripts/bench-web.sh >&2
}

# ---- run ---------------------------------------------------------------------------------------
failed=()
started_all=$(date +%s)
for name in "${ALL[@]}"; do
  selected "$name" || continue
  [ -n "$LOCK" ] && { exec 9>"$LOCK"; say "$name: waiting for $LOCK"; flock 9; }
  say "$name: running (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  RAW="$WORK/$name.raw.json"
  rm -f "$RAW"
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ); load=$(cut -d' ' -f1-3 /proc/loadavg); t0=$(date +%s.%N)
  status=ok
  # In the background and waited for: a subshell tested with `||` would run without `set -e`.
  ( "bench_$name" ) &
  wait $! || status=failed
  [ "$status" = ok ] && [ ! -s "$RAW" ] && status=failed
  [ -n "$LOCK" ] && flock -u 9
  [ "$status" = ok ] || failed+=("$name")
  python3 - "$OUT/parts/$name.json" "$name" "$status" "$started" "$load" "$t0" "$(date +%s.%N)" "$QUICK" "$RAW" <<'EOF'
import json, os, sys
out, name, status, started, load, t0, t1, quick, raw = sys.argv[1:10]
result = None
if status == "ok":
    with open(raw) as f:
        result = json.load(f)
json.dump({"name": name, "status": status, "started": started, "load_average_start": [float(x) for x in load.split()],
           "seconds": round(float(t1) - float(t0), 1), "quick": quick == "1", "result": result}, open(out, "w"), indent=2)
EOF
  say "$name: $status in $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$OUT/parts/$name.json") s"
done

python3 scripts/bench_report.py "$OUT" "$(git rev-parse HEAD)$(git diff --quiet HEAD -- src lite benches scripts web Cargo.toml || echo -dirty)"
say "whole run $(( $(date +%s) - started_all )) s; figures in $OUT/bench.json and $OUT/bench.md"
cat "$OUT/bench.md"
[ ${#failed[@]} -eq 0 ] || { say "failed: ${failed[*]}"; exit 1; }
