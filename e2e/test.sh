#!/usr/bin/env bash
# Installs what is missing, starts PostgreSQL if it is down, builds the site and runs the
# whole test suite (unit, integration on SQLite and PostgreSQL, browser end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
. e2e/setup.sh
ensure_build_tools
ensure_browser
ensure_postgres
say "building the site (wasm + CSS) and the server"
cargo leptos build --frontend-only
cargo build -p server --bin domaincall
say "running the tests"
cargo test --workspace --no-fail-fast "$@"
