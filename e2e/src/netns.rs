//! Loopback-only network namespaces, for tests whose traffic must stay on 127.0.0.0/8.
//!
//! WebRTC in Chromium gathers candidates on every interface it can see; this machine's
//! network is closed, and media must never try to leave it. So a call test re-runs itself
//! inside `unshare -n` (a new network namespace with only `lo`, brought up), where the
//! only reachable addresses are loopback ones. Everything the test needs (the server on
//! SQLite, a DNS server, chromedriver, Chromium) is started inside, and nothing it started
//! outlives it.
//!
//! ```ignore
//! #[test]
//! fn my_call_test() {
//!     if !e2e::netns::inside() {
//!         return e2e::netns::rerun_isolated("my_call_test").expect("isolated run");
//!     }
//!     // ... the real test, on loopback only
//! }
//! ```

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};

/// Set in the re-run's environment: the process is already isolated.
const GUARD: &str = "DOMAINCALL_E2E_LOOPBACK_NETNS";

/// Whether this process runs in the loopback-only namespace [`rerun_isolated`] made.
pub fn inside() -> bool {
    std::env::var_os(GUARD).is_some()
}

/// The whole of an isolated test: outside the namespace, re-runs `test_name` inside it
/// ([`rerun_isolated`]) and fails with it; inside, runs `scenario` on a two-thread Tokio
/// runtime.
///
/// # Panics
/// When the isolated run fails (its output is above), or the runtime cannot start.
pub fn run_isolated<F>(test_name: &str, scenario: impl FnOnce() -> F)
where
    F: std::future::Future<Output = ()>,
{
    if !inside() {
        if let Err(e) = rerun_isolated(test_name) {
            // The isolated run printed what failed; this process's backtrace adds nothing.
            println!("{e:#}");
            std::panic::resume_unwind(Box::new(e.to_string()));
        }
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    runtime.block_on(scenario());
}

/// Runs the test `test_name` of the current test binary again, alone, inside a new network
/// namespace that has only loopback, and forwards its output line by line (so the test
/// harness captures it, or shows it with `--nocapture`).
///
/// # Errors
/// When `unshare` cannot create the namespace (it needs root or `CAP_SYS_ADMIN`), or the
/// re-run fails or did not run exactly that one test.
pub fn rerun_isolated(test_name: &str) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the test binary")?;
    let mut child = Command::new("unshare")
        // A PID namespace too, with the test as its init: when the test ends, however it
        // ends, the kernel kills what it started (the server, chromedriver, Chromium).
        .args(["--net", "--pid", "--fork", "--kill-child"])
        .args(["sh", "-c", "ip link set lo up && exec \"$@\"", "sh"])
        .arg(&exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(GUARD, "1")
        // The step that failed is in the message; backtraces of the harness are noise.
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running `unshare --net` (util-linux; needs root) for a loopback-only run")?;
    let passed = Arc::new(AtomicBool::new(false));
    let out = forward(child.stdout.take(), false, Some(passed.clone()));
    let err = forward(child.stderr.take(), true, None);
    let status = child.wait().context("waiting for the isolated run")?;
    let _ = out.join();
    let _ = err.join();
    if !status.success() {
        bail!("the loopback-only run of `{test_name}` failed ({status}); its output is above");
    }
    if !passed.load(Ordering::SeqCst) {
        bail!("the loopback-only run did not run `{test_name}` (is the name exact?)");
    }
    Ok(())
}

/// Copies a child's output to ours through `println!`/`eprintln!`, so libtest's capture
/// sees it; notes when libtest's summary says exactly one test passed.
fn forward(
    pipe: Option<impl Read + Send + 'static>,
    to_stderr: bool,
    passed: Option<Arc<AtomicBool>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let Some(pipe) = pipe else { return };
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if let Some(flag) = &passed {
                if line.starts_with("test result: ok. 1 passed") {
                    flag.store(true, Ordering::SeqCst);
                }
            }
            if to_stderr {
                eprintln!("[isolated] {line}");
            } else {
                println!("[isolated] {line}");
            }
        }
    })
}
