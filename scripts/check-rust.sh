#!/usr/bin/env bash
# Checks for the Rust toolchain genekg builds with, before anything else is installed or built:
# a fresh Debian machine has none, and Debian's own rustc (1.63 in bookworm) is too old. Says
# exactly what to install instead of failing later on `cargo: command not found`.
# The version comes from Cargo.toml's `rust-version`, its one home.
set -euo pipefail
cd "$(dirname "$0")/.."
need=$(sed -n 's/^rust-version = "\([0-9.]*\)"/\1/p' Cargo.toml | head -1)
install="install Rust $need or newer with rustup (https://rustup.rs): \
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain $need, \
then \`. \"\$HOME/.cargo/env\"\` (Debian's rustc package is older than $need)"
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    echo "[setup] Rust is installed in $HOME/.cargo/bin but not on PATH: run \`. \"\$HOME/.cargo/env\"\` (or open a new shell) and retry" >&2
  else
    echo "[setup] genekg needs Rust (cargo and rustc) $need or newer and this machine has none: $install" >&2
  fi
  exit 1
fi
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "[setup] rustc $have is older than the $need genekg needs: run \`rustup update\`, or $install" >&2
  exit 1
fi
