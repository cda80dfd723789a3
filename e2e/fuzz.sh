#!/usr/bin/env bash
# Runs every cargo-fuzz target for a while (default 10 minutes each) and prints, per target,
# executions, coverage and whether it crashed. Not part of CI. Needs cargo-fuzz (installed
# here when missing); the stable toolchain takes the fuzzer's nightly flags through
# RUSTC_BOOTSTRAP. Usage: e2e/fuzz.sh [seconds-per-target] [target…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
export RUSTC_BOOTSTRAP=1
# crate dir, target, max input length, dictionary (or empty)
all=(
    "entity signaling 65536 fuzz/signaling.dict"
    "entity domain_name 1024 -"
    "server graphql_request 65536 fuzz/graphql.dict"
)
selected=("$@")
for spec in "${all[@]}"; do
    read -r crate target max_len dict <<<"$spec"
    if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " == *" $target "* ]]; then
        continue
    fi
    corpus="$crate/fuzz/corpus/$target"
    mkdir -p "$corpus"
    [ -d "$crate/fuzz/seeds/$target" ] && cp -n "$crate/fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true
    args=(-max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1)
    [ "$dict" != "-" ] && args+=(-dict="$dict")
    log="$crate/fuzz/$target.log"
    echo "==> $target ($seconds s)"
    status=ok
    # RUSTFLAGS replaces `.cargo/config.toml`'s rustflags: keep its cfg (Leptos needs it).
    (cd "$crate" && RUSTFLAGS="--cfg erase_components" cargo fuzz run -s none "$target" "fuzz/corpus/$target" -- "${args[@]}") >"$log" 2>&1 || status=CRASHED
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -E 'DONE|pulse|NEW' "$log" | tail -n1 | grep -oE 'cov: [0-9]+' || true)
    echo "    $status: ${runs:-?} executions, $cov, corpus $(ls "$corpus" | wc -l) inputs (log: $log)"
    if [ "$status" = CRASHED ]; then
        grep -E 'panicked|SUMMARY|artifact' "$log" | head -n 5 | sed 's/^/    /'
    fi
done
