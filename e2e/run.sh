#!/usr/bin/env bash
# Builds everything (server, wasm, CSS) in release mode and runs domaincall on
# http://127.0.0.1:3000 with zero configuration (data under ./data). Extra arguments go
# to the binary (e.g. `e2e/run.sh migrate`).
set -euo pipefail
cd "$(dirname "$0")/.."
. e2e/setup.sh
ensure_build_tools
ensure_wasm_opt
say "building (release)"
# The site with cargo-leptos, the server with cargo: cargo-leptos 0.3.10 looks for the
# server binary under its package name (`server`) rather than `domaincall`.
cargo leptos build --release --frontend-only
cargo build --release -p server --bin domaincall
export DOMAINCALL_SITE_ROOT="${DOMAINCALL_SITE_ROOT:-target/site}"
say "starting domaincall on ${DOMAINCALL_ADDR:-127.0.0.1:3000}"
exec target/release/domaincall "$@"
