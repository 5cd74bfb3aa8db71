# Shared by the HTTP benchmarks (bench-http.sh, load.sh). Each script defines `say` first.

# wrk drives the load; Debian packages it, so it is installed on first use.
need_wrk() {
  if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  fi
}

# Sets BIN to the release genekg ($GENEKG_BIN if given), building it when it is missing.
genekg_bin() {
  [ -f .deps/env.sh ] && source .deps/env.sh
  BIN="${GENEKG_BIN:-${CARGO_TARGET_DIR:-target}/release/genekg}"
  if [ ! -x "$BIN" ]; then
    say "building genekg (release)"
    cargo build --release --quiet
  fi
}
