#!/usr/bin/env bash
# The development time split's old release: Bioconductor 3.12 (2020) org.Hs.eg.db and GO.db as
# Debian bullseye ships them, into data/dev-source (git-ignored) with SOURCES.json like the default
# data's. Uses a private apt configuration under data/dev-source/.apt (its own sources.list, lists
# and cache), so the machine's own apt sources are never changed. Nothing newer than the default
# data (3.16) is fetched: bullseye's packages are 3.12.
#   GENEKG_DEV_SOURCE_DIR   where to put the files (default data/dev-source)
#   GENEKG_DEV_MIRROR       Debian mirror (default the one the machine's apt uses)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${GENEKG_DEV_SOURCE_DIR:-$ROOT/data/dev-source}"
if [ -f "$OUT/SOURCES.json" ] && [ -f "$OUT/org.Hs.eg.sqlite" ] && [ -f "$OUT/GO.sqlite" ]; then
  echo "[fetch-dev-data] already present in $OUT" >&2; exit 0
fi
MIRROR="${GENEKG_DEV_MIRROR:-http://deb.debian.org/debian}"
APT="$OUT/.apt"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/parts" "$APT/prefs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bullseye main" > "$APT/sources.list"
opts=(-o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=$APT/parts"
      -o "Dir::Etc::PreferencesParts=$APT/prefs" -o "Dir::State::Lists=$APT/lists"
      -o "Dir::Cache=$APT/cache" -o "APT::Get::List-Cleanup=0")
echo "[fetch-dev-data] apt-get update (private configuration in $APT)" >&2
apt-get "${opts[@]}" update -qq
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && apt-get "${opts[@]}" download r-bioc-org.hs.eg.db r-bioc-go.db )
for deb in "$tmp"/*.deb; do
  case "$(dpkg-deb -f "$deb" Version)" in 3.12.*) ;; *) echo "unexpected version in $deb (want 3.12)" >&2; exit 1;; esac
  dpkg-deb -x "$deb" "$tmp/x"
done
org=$(find "$tmp/x" -name org.Hs.eg.sqlite | head -1)
go=$(find "$tmp/x" -name GO.sqlite | head -1)
[ -n "$org" ] && [ -n "$go" ] || { echo "the 3.12 packages did not contain the SQLite files" >&2; exit 1; }
cp "$org" "$OUT/org.Hs.eg.sqlite"; cp "$go" "$OUT/GO.sqlite"
python3 "$ROOT/scripts/write_sources.py" "$tmp" "$OUT" suite=bullseye
rm -rf "$APT/cache/archives"/*.deb
echo "[fetch-dev-data] $(cat "$OUT/SOURCES.json")" >&2
