#!/usr/bin/env bash
# HTTP benchmark of the GraphQL API against a trivial actix-web endpoint, in one run:
#   wrk, 64 connections for 20 s each, on
#     1. GET /healthz (the trivial endpoint: same server, same middleware, no GraphQL)
#     2. POST /graphql  { gene(id:"TP53") { symbol name links { openTargets } } }
#   and prints requests/s, p50, p99 and the GraphQL/trivial ratio.
# Bars (issue 6): GraphQL >= 50% of the trivial endpoint's rps, GraphQL p99 <= 10 ms.
#
# Usage: scripts/bench-http.sh [--db PATH] [--duration 20s] [--connections 64] [--threads 2] [--json FILE]
# --json also writes the figures to FILE as one JSON object (scripts/bench.sh collects it).
# GENEKG_BIN overrides the binary (default: the release build in CARGO_TARGET_DIR or target/).
# The store must hold the default data (`genekg ingest default`); wrk is installed from Debian
# when missing. The server and wrk share the machine, as they would on a small host.
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${GENEKG_DB:-data/genekg.db}"
DURATION=20s
CONNECTIONS=64
THREADS=2
JSON=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --json) JSON="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
say() { echo "[bench-http] $*" >&2; }

. scripts/lib/bench-common.sh
need_wrk
genekg_bin
[ -e "$DB" ] || { echo "no store at $DB; run \`$BIN ingest default\` first or pass --db" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

RUST_LOG=warn "$BIN" --db "$DB" serve --addr 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "serving" "$work/stdout" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
  sleep 0.1
done
BASE=$(grep -o 'http://[0-9.:]*' "$work/stdout" | head -1)
[ -n "$BASE" ] || { echo "server did not start" >&2; cat "$work/stderr" >&2; exit 1; }
curl -sf "$BASE/readyz" >/dev/null

QUERY='{"query":"{ gene(id:\"TP53\") { symbol name links { openTargets } } }"}'
answer=$(curl -s -H 'content-type: application/json' -d "$QUERY" "$BASE/graphql")
echo "$answer" | grep -q '"symbol":"TP53"' || { echo "unexpected answer: $answer" >&2; exit 1; }
say "server $BASE; GraphQL answer: $answer"

cat >"$work/graphql.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$QUERY]]
LUA

# Latency figures from wrk's --latency table, in ms.
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 }; printf "%.3f", v }'; }
run() { # name, extra wrk args...
  local name=$1; shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" >/dev/null   # warm-up
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$work/$name.txt"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/$name.txt" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' "$work/$name.txt" | to_ms)
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$work/$name.txt" | tr -s ' \n' ' ')
  echo "$name $rps $p50 $p99 ${errors:-none}"
}
say "wrk -t$THREADS -c$CONNECTIONS -d$DURATION on /healthz, then on /graphql"
trivial=$(run healthz "$BASE/healthz")
graphql=$(run graphql -s "$work/graphql.lua" "$BASE/graphql")

printf '%-10s %12s %10s %10s  %s\n' endpoint "requests/s" "p50 ms" "p99 ms" errors
for line in "$trivial" "$graphql"; do
  read -r name rps p50 p99 errors <<<"$line"
  printf '%-10s %12s %10s %10s  %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
done
read -r _ t_rps _ _ _ <<<"$trivial"
read -r _ g_rps _ g_p99 _ <<<"$graphql"
awk -v g="$g_rps" -v t="$t_rps" -v p="$g_p99" 'BEGIN {
  r = g / t;
  printf "graphql/healthz rps ratio: %.2f (bar >= 0.50: %s); graphql p99 %.2f ms (bar <= 10 ms: %s)\n",
    r, (r >= 0.5 ? "met" : "NOT met"), p, (p <= 10 ? "met" : "NOT met") }'
if [ -n "$JSON" ]; then
  read -r _ t_rps t_p50 t_p99 t_errors <<<"$trivial"
  read -r _ g_rps g_p50 g_p99 g_errors <<<"$graphql"
  python3 - "$JSON" "$CONNECTIONS" "$DURATION" "$t_rps" "$t_p50" "$t_p99" "$t_errors" "$g_rps" "$g_p50" "$g_p99" "$g_errors" <<'EOF'
import json, sys
out, conns, dur = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def ep(rps, p50, p99, errors):
    return {"rps": float(rps), "p50_ms": float(p50), "p99_ms": float(p99), "errors": errors}
t, g = ep(*sys.argv[4:8]), ep(*sys.argv[8:12])
json.dump({"connections": conns, "duration": dur, "healthz": t, "graphql": g, "ratio": g["rps"] / t["rps"]}, open(out, "w"), indent=2)
EOF
fi
