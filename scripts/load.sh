#!/usr/bin/env bash
# Load test of the dashboard's real queries, mixed, against a copy of the default data:
#   wrk at 64 connections for 60 s sends the mix (the gene page four times as often as the rest,
#   predicted-function pages twice) and counts errors (HTTP status other than 200, or a GraphQL
#   "errors" key: there must be none); meanwhile a probe times each query type on its own
#   connection, one request at a time, which gives p50/p99 per type under the mixed load.
#   At the end it prints total requests/s, errors, per-type latencies and the server's peak RSS.
#   Beside the mix, for as long, a second wrk sends only the gene page on its own connections
#   (--page-connections, 16): the mix's connections are closed loops that wait on their heavy
#   requests (augment, enrich), so the mix's own rate cannot show how many gene pages the server
#   serves while it runs; this load's requests/s, p50/p99 and errors do (issue 16's goal).
#
# Usage: scripts/load.sh [--data-dir data] [--duration 60] [--connections 64] [--page-connections 16]
#                        [--json FILE] [--only TYPE] [--exclude TYPE,TYPE]
# --only sends one query type (e.g. gene_page) instead of the mix, for that query's own figure,
# with no gene-page load beside it. --exclude leaves the named types out of the mix (to find
# which of them the others wait for). --page-connections 0 leaves the gene-page load out.
# The probe also times GET /healthz (row `healthz`, not part of the mix): the floor, what any
# request waits beside the load before the server does its own work.
# GENEKG_BIN overrides the binary (default: the release build). The data dir must hold the
# store, model and index (`scripts/run.sh` makes them); the store is copied, so a server running
# on it is not disturbed. Explanations use the template (GENEKG_LLM=none): the LLM's latency is
# `genekg bench explain`'s business. Run it alone on the machine, e.g. under
# `flock /tmp/genekg-heavy.lock`.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=data
DURATION=60
CONNECTIONS=64
PAGE_CONNECTIONS=""
JSON=""
ONLY=""
EXCLUDE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) DATA="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --page-connections) PAGE_CONNECTIONS="$2"; shift 2 ;;
    --json) JSON="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --exclude) EXCLUDE="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
say() { echo "[load] $*" >&2; }
if [ -z "$PAGE_CONNECTIONS" ]; then
  if [ -n "$ONLY" ]; then PAGE_CONNECTIONS=0; else PAGE_CONNECTIONS=16; fi
fi
[[ "$PAGE_CONNECTIONS" =~ ^[0-9]+$ ]] || { echo "--page-connections must be a whole number, got $PAGE_CONNECTIONS" >&2; exit 2; }

. scripts/lib/bench-common.sh
need_wrk
genekg_bin
for need in genekg.db model index; do
  [ -e "$DATA/$need" ] || { echo "no $DATA/$need: run scripts/run.sh first or pass --data-dir" >&2; exit 1; }
done

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "copying the store"
mkdir -p "$work/data"
cp -r "$DATA/genekg.db" "$work/data/genekg.db"
ln -s "$(cd "$DATA" && pwd)/model" "$work/data/model"
ln -s "$(cd "$DATA" && pwd)/index" "$work/data/index"
[ -e "$DATA/source" ] && ln -s "$(cd "$DATA" && pwd)/source" "$work/data/source"
# As scripts/run.sh does: a store ingested before publication counts existed gets them (the
# explanation needs them); a populated store is otherwise left as it is.
"$BIN" --data-dir "$work/data" ingest default --if-empty >/dev/null 2>&1 || say "could not add publication counts"

GENEKG_LLM=none RUST_LOG=warn "$BIN" --data-dir "$work/data" serve --addr 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
for _ in $(seq 1 1200); do
  grep -q "serving" "$work/stdout" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
  sleep 0.1
done
BASE=$(grep -o 'http://[0-9.:]*' "$work/stdout" | head -1)
[ -n "$BASE" ] || { echo "server did not start" >&2; cat "$work/stderr" >&2; exit 1; }

# The queries, as the dashboard sends them (web/app/*.js), one JSON body per file.
mkdir -p "$work/q"
python3 - "$work/q" <<'EOF'
import json, sys, os
out = sys.argv[1]
# An input list as a user would paste it (p53 signalling genes).
genes = ["TP53", "MDM2", "CDKN1A", "BAX", "BBC3", "PMAIP1", "GADD45A", "SESN1", "RRM2B", "TP53I3",
         "FAS", "ZMAT3", "SFN", "DDB2", "XPC", "TNFRSF10B", "APAF1", "CCNG1", "PPM1D", "TIGAR"]
ora = "fragment Ora on EnrichmentResult { genesUsed unknownGenes ambiguousGenes { input candidates { symbol } } libraries { library backgroundGenes inputGenes setsTested } results { totalCount nodes { geneSet { id name } overlapSize setSize pValue log10P fdr oddsRatio overlap { symbol } } } }"
queries = {
    "gene_page": ('{ gene(id:"TP53"){ symbol name links{ openTargets pharos dgidb ncbiGene geneCards uniprot ensembl harmonizome } '
                  'predictedFunctions(library:"GO_BP", first:10){ totalCount nodes { geneSet { id name } probability zScore rank known setAuroc } } '
                  'predictedPartners(first:10){ gene { symbol name } probability zScore rank known } '
                  'similarGenes(first:10){ gene { symbol name } cosine confidence } } }', {}),
    "functions_page": ('query Functions($id: String!, $library: String, $after: String) { gene(id: $id) { predictedFunctions(library: $library, first: 500, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { geneSet { id name library { name } } probability zScore rank known setAuroc } } } }',
                       {"id": "CDK1", "library": None}),
    "augment": ('query Augment($genes: [String!]!) { augment(genes: $genes, first: 200) { modelFingerprint unknownGenes outOfVocabulary { symbol } genes { gene { symbol name targetFamily } probability logit } } }',
                {"genes": genes}),
    "enrich": ('query Enrich($genes: [String!]!) { l0: enrich(genes: $genes, libraries: ["GO_BP"], first: 25) { ...Ora } l1: enrich(genes: $genes, libraries: ["PubMed"], first: 25) { ...Ora } } ' + ora,
               {"genes": genes}),
    # The gene page's partners-and-similar part (web/app/gene.js). The set page's model part
    # (predictedMembers, similarSets) refuses to answer while stored predictions or the sets
    # index are older than the data, which a probe run on such data would count as errors.
    "similar": ('query Model($id: String!) { gene(id: $id) { predictedPartners(first: 15) { gene { symbol name targetFamily } probability zScore rank known } similarGenes(first: 15) { gene { symbol name targetFamily } cosine } } }',
                {"id": "CDK1"}),
    "search": ('query Suggest($text: String!) { searchGenes(text: $text, first: 8) { gene { symbol name } } }', {"text": "cdk"}),
    "ask": ('query Ask($q: String!) { ask(question: $q) { intent understood answer data graphql examples genes { symbol name } terms { id name } } }',
            {"q": "What does TP53 do?"}),
    "explanation": ('query Explain($id: String!) { gene(id: $id) { explanation { text source model citations { kind id label url } guard { checked passed rejected } } } }',
                    {"id": "BRCA1"}),
}
weights = {"gene_page": 4, "functions_page": 2}
with open(os.path.join(out, "types"), "w") as t:
    for name, (q, v) in queries.items():
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump({"query": q, "variables": v}, f)
        t.write(f"{name} {weights.get(name, 1)}\n")
EOF

if [ -n "$ONLY" ]; then
  grep "^$ONLY " "$work/q/types" >"$work/q/only" || { echo "no query type $ONLY" >&2; exit 2; }
  mv "$work/q/only" "$work/q/types"
fi
for name in ${EXCLUDE//,/ }; do
  grep -q "^$name " "$work/q/types" || { echo "--exclude: no query type $name" >&2; exit 2; }
  grep -v "^$name " "$work/q/types" >"$work/q/kept" || true
  mv "$work/q/kept" "$work/q/types"
done
[ -s "$work/q/types" ] || { echo "no query type left to send" >&2; exit 2; }

# Every query must answer without errors before the run: a broken query is not a load figure.
while read -r name _; do
  body=$(curl -s -XPOST -H 'content-type: application/json' --data @"$work/q/$name.json" "$BASE/graphql")
  if echo "$body" | grep -q '"errors"'; then echo "query $name fails: ${body:0:400}" >&2; exit 1; fi
done <"$work/q/types"

# One wrk script for both loads: $1 names the summary line, $2 the file of "type weight" lines.
write_lua() {
  cat <<EOF
local bodies = {}
for line in io.lines("$2") do
  local name, weight = line:match("(%S+) (%d+)")
  local f = io.open("$work/q/" .. name .. ".json"); local b = f:read("*a"); f:close()
  for _ = 1, tonumber(weight) do bodies[#bodies + 1] = b end
end
local threads = {}
function setup(thread) thread:set("id", #threads); table.insert(threads, thread) end
local i = 0
-- A global, so that done() can read each thread's count with thread:get.
errors = 0
function init(args) i = id end
function request()
  i = i + 1
  return wrk.format("POST", "/graphql", { ["Content-Type"] = "application/json" }, bodies[(i % #bodies) + 1])
end
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format("$1 requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
EOF
}
write_lua MIX "$work/q/types" >"$work/mix.lua"
echo "gene_page 1" >"$work/q/page-types"
write_lua PAGE "$work/q/page-types" >"$work/page.lua"

say "mix: $CONNECTIONS connections for ${DURATION}s against $BASE"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$work/mix.lua" "$BASE/graphql" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
page_pid=""
if [ "$PAGE_CONNECTIONS" -gt 0 ]; then
  say "beside it: the gene page alone on $PAGE_CONNECTIONS connections"
  wrk -t1 -c"$PAGE_CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$work/page.lua" "$BASE/graphql" >"$work/page.txt" 2>&1 &
  page_pid=$!
fi
sleep 1
# The probe: one process per query type (no shared interpreter lock to wait for), each on its own
# kept-alive connection, sending its query one at a time with a 100 ms pause. A slow type (enrich)
# does not thin out the others' samples, and the probes together keep about one request in
# flight, so they add little to the load they measure.
python3 - "$work" "$BASE" <<'EOF' &
import http.client, multiprocessing, os, sys, time, urllib.parse
work, base = sys.argv[1], urllib.parse.urlparse(sys.argv[2])
names = [line.split()[0] for line in open(os.path.join(work, "q", "types"))] + ["healthz"]
def probe(name):
    body = None if name == "healthz" else open(os.path.join(work, "q", name + ".json"), "rb").read()
    conn = None
    with open(os.path.join(work, "lat." + name), "a") as out:
        while not os.path.exists(os.path.join(work, "stop")):
            try:
                conn = conn or http.client.HTTPConnection(base.hostname, base.port, timeout=30)
                t0 = time.perf_counter()
                if body is None:
                    conn.request("GET", "/healthz")
                else:
                    conn.request("POST", "/graphql", body, {"content-type": "application/json"})
                conn.getresponse().read()
                out.write(f"{time.perf_counter() - t0}\n")
            except (OSError, http.client.HTTPException):
                conn = None
            time.sleep(0.1)
procs = [multiprocessing.get_context("fork").Process(target=probe, args=(n,)) for n in names]
for p in procs: p.start()
for p in procs: p.join()
EOF
probe_pid=$!
wait "$wrk_pid"
[ -z "$page_pid" ] || wait "$page_pid"
touch "$work/stop"
wait "$probe_pid"
peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")

python3 - "$work" "$peak_kb" "$JSON" "$CONNECTIONS" "$DURATION" "$PAGE_CONNECTIONS" <<'EOF'
import json, re, sys, os
work, peak_kb, out, conns, dur = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
conns_page = int(sys.argv[6])
text = open(os.path.join(work, "wrk.txt")).read()
m = re.search(r"MIX (.*)", text)
if not m:
    sys.exit("wrk printed no summary:\n" + text)
mix = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
page = None
if conns_page:
    text = open(os.path.join(work, "page.txt")).read()
    m = re.search(r"PAGE (.*)", text)
    if not m:
        sys.exit("wrk (gene page beside the mix) printed no summary:\n" + text)
    page = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round((len(xs) - 1) * p))]
types = {}
for name in [line.split()[0] for line in open(os.path.join(work, "q", "types"))] + ["healthz"]:
    path = os.path.join(work, "lat." + name)
    ms = [float(x) * 1000 for x in open(path).read().split()] if os.path.exists(path) else []
    if ms:
        types[name] = {"samples": len(ms), "p50_ms": round(pct(ms, 0.5), 2), "p99_ms": round(pct(ms, 0.99), 2)}
result = {"connections": conns, "seconds": dur, "requests": int(mix["requests"]), "rps": mix["rps"],
          "p50_ms": mix["p50_ms"], "p99_ms": mix["p99_ms"], "errors": int(mix["errors"]), "socket_errors": int(mix["socket_errors"]),
          "peak_rss_mb": round(peak_kb / 1024, 1), "per_type_under_load": types}
if page:
    result["gene_page_beside"] = {"connections": conns_page, "seconds": dur, "requests": int(page["requests"]),
                                  "rps": page["rps"], "p50_ms": page["p50_ms"], "p99_ms": page["p99_ms"],
                                  "errors": int(page["errors"]), "socket_errors": int(page["socket_errors"])}
print(f"mix: {result['requests']} requests in {dur} s at {conns} connections: {result['rps']:.0f} requests/s, "
      f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, errors {result['errors']}, socket errors {result['socket_errors']}")
print(f"{'query':<16}{'samples':>8}{'p50 ms':>10}{'p99 ms':>10}")
for name, t in types.items():
    print(f"{name:<16}{t['samples']:>8}{t['p50_ms']:>10.1f}{t['p99_ms']:>10.1f}")
if page:
    b = result["gene_page_beside"]
    print(f"gene page beside the mix: {b['requests']} requests at {conns_page} connections: {b['rps']:.0f} requests/s, "
          f"p50 {b['p50_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms, errors {b['errors']}, socket errors {b['socket_errors']}")
print(f"server peak RSS: {result['peak_rss_mb']} MB")
if out:
    json.dump(result, open(out, "w"), indent=2)
if result["errors"] or result["socket_errors"] or (page and (page["errors"] or page["socket_errors"])):
    sys.exit("errors under load")
EOF
