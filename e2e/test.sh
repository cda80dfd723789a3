#!/usr/bin/env bash
# Installs what is missing, starts PostgreSQL and NATS if they are down, builds the site
# and runs the whole test suite (unit, integration on SQLite and PostgreSQL, browser
# end-to-end).
# Arguments go to every test binary (a name filter, `--nocapture`, …).
#
# One `cargo test --workspace --no-run` builds every test and the server binary the browser
# tests drive (with the features the whole workspace unifies to, so nothing is built
# twice); then two lanes run at once: the browser tests (e2e) and everything else. Each
# lane runs its binaries one after another; the exit status fails if any binary failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. e2e/setup.sh
ensure_build_tools
ensure_browser
ensure_postgres
ensure_nats
say "building the site (wasm + CSS), the server and the tests"
cargo leptos build --frontend-only
plan=$(mktemp)
failures=$(mktemp)
trap 'rm -f "$plan" "$failures"' EXIT
cargo test --workspace --no-run --message-format=json-render-diagnostics >"$plan"
[ -x target/debug/domaincall ] || { echo "target/debug/domaincall was not built" >&2; exit 1; }

# "lane<TAB>package directory<TAB>test executable", one line per test binary.
lanes=$(python3 - "$plan" <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    if not m.get("profile", {}).get("test"):
        continue
    lane = "browser" if m["target"]["name"] != "e2e" and "/e2e/" in m["manifest_path"] else "main"
    print(f"{lane}\t{os.path.dirname(m['manifest_path'])}\t{m['executable']}")
PY
)

# Runs the test binaries of lane $1 in order; notes each one that fails in $failures.
run_lane() {
    local lane=$1 failed=0 dir exe
    shift
    while IFS=$'\t' read -r l dir exe; do
        [ "$l" = "$lane" ] || continue
        printf '\n     Running %s (%s)\n' "${exe#"$PWD"/}" "$lane"
        if ! (cd "$dir" && "$exe" "$@"); then
            echo "${exe#"$PWD"/}" >>"$failures"
            failed=1
        fi
    done <<<"$lanes"
    return $failed
}

say "running the tests: the browser tests (lines marked [browser]) in a lane beside the rest"
{ run_lane browser "$@" 2>&1 | sed -u 's/^/[browser] /'; } &
browser=$!
status=0
run_lane main "$@" || status=1
cargo test --workspace --doc --no-fail-fast -- "$@" || { echo "doc tests" >>"$failures"; status=1; }
wait "$browser" || true
[ -s "$failures" ] && status=1
if [ "$status" != 0 ]; then
    say "FAILED: $(tr '\n' ' ' <"$failures")"
    exit 1
fi
say "all tests passed"
