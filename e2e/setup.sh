# Installs what building and testing domaincall needs, only when it is missing.
# Sourced by e2e/run.sh and e2e/test.sh; every step is idempotent and quiet when done.

CARGO_LEPTOS_VERSION=0.3.10
TOOLS_DIR="$PWD/target/tools"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_build_tools() {
    if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
        say "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
    if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
        say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 12 minutes, once)"
        cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
    fi
    # cargo-leptos downloads wasm-bindgen unless one of the exact version is on PATH.
    local want
    want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
    if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
        say "installing wasm-bindgen-cli $want"
        cargo install wasm-bindgen-cli --version "$want"
    fi
}

# wasm-opt for release builds, from the npm registry (Debian's is too old for today's wasm).
ensure_wasm_opt() {
    if [ ! -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
        say "installing wasm-opt (npm binaryen)"
        mkdir -p "$TOOLS_DIR"
        npm install --silent --prefix "$TOOLS_DIR" binaryen@132.0.0 >/dev/null
    fi
    export PATH="$TOOLS_DIR/node_modules/.bin:$PATH"
}

# Chromium and ChromeDriver for the browser tests, and nftables: the call test drops UDP
# for a while (a network blip) inside its own network namespace.
ensure_browser() {
    if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null \
        || ! command -v nft >/dev/null; then
        say "installing chromium, chromium-driver and nftables"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver nftables >/dev/null
    fi
}

# NATS (127.0.0.1:4222) for the test of nodes joined through it: started if it is down,
# from Debian's nats-server (installed if missing).
ensure_nats() {
    if (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
        return
    fi
    if ! command -v nats-server >/dev/null; then
        say "installing nats-server"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
    fi
    say "starting NATS"
    mkdir -p target/nats
    as_root sh -c "nohup nats-server -a 127.0.0.1 -p 4222 -js -sd '$PWD/target/nats' >'$PWD/target/nats/log' 2>&1 &"
    for _ in $(seq 1 30); do
        (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && return
        sleep 0.2
    done
    echo "NATS is not reachable at 127.0.0.1:4222" >&2
    exit 1
}

ensure_postgres() {
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        say "starting PostgreSQL"
        as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
        for _ in $(seq 1 30); do
            pg_isready -q -h 127.0.0.1 -p 5432 && break
            sleep 1
        done
    fi
    pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; }
}
