//! `bench`: load the signaling hub of the real `domaincall` binary over real WebSockets on
//! loopback, and report memory per idle agent connection, call-setup latency and relayed
//! messages per second. Results and commands are recorded in `docs/benchmarks.md`.
//!
//! It starts the release binary (`target/release/domaincall`, or `--bin`) on a fresh
//! SQLite database that it seeds directly (see `bench/seed.rs` for why that is honest),
//! then runs three phases against it:
//!
//! 1. **memory**: server RSS before and after `--agents` greeted agent sockets;
//! 2. **setup**: `--rate` call requests per second for `--seconds`, open loop, latency
//!    from the intended send time to `incoming` on the last of the business's
//!    `--devices` devices (HdrHistogram), after a warm-up that calls every business and
//!    caller once (reported on its own line);
//! 3. **relay**: `--pairs` connected calls exchanging `ice` messages at `--pair-rate`
//!    per side per second, deliveries counted at the receivers, and the server's CPU time
//!    over the same window.
//!
//! Not a test: run it by hand (`cargo run --release -p e2e --bin bench -- --help`).

#[path = "../bench/mod.rs"]
mod bench;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::sync::watch;
use tokio::time::Instant;

use bench::{client, memory, relay, seed, server, setup};

const USAGE: &str = "usage: bench [--agents 10000] [--devices 5] [--callers 1000] [--rate 1000]
             [--seconds 10] [--pairs 1000] [--pair-rate 40] [--relay-seconds 10]
             [--bin target/release/domaincall] [--keep] [--split N] [--dump FILE]
  --agents       agent devices kept online (greeted, idle) for the whole run
  --devices      devices per business (each call rings all of them)
  --callers      caller sockets that place the scheduled calls
  --rate         call setups per second (open loop)
  --seconds      how long the setup phase schedules calls (after the warm-up: one call to
                 each business and caller, at the same rate)
  --pairs        connected call pairs in the relay phase (0 skips it)
  --pair-rate    ice messages per second each side of a pair sends (the hub allows 50)
  --relay-seconds  the relay measurement window
  --bin          the server binary (build it with `cargo build --release -p server`)
  --keep         keep the data directory (database, server.log)
  --split N      instead of the phases: the server memory of N agent connections stage by
                 stage (TCP only, upgraded before hello, greeted); N of a few thousand
  --dump FILE    write every measured setup as CSV: ms since the first was due, latency ms";

struct Args {
    agents: usize,
    devices: usize,
    callers: usize,
    rate: u32,
    seconds: u32,
    pairs: usize,
    pair_rate: u32,
    relay_seconds: u32,
    bin: PathBuf,
    keep: bool,
    split: usize,
    dump: Option<PathBuf>,
}

impl Args {
    fn parse() -> anyhow::Result<Self> {
        let mut args = Self {
            agents: 10_000,
            devices: 5,
            callers: 1_000,
            rate: 1_000,
            seconds: 10,
            pairs: 1_000,
            pair_rate: 40,
            relay_seconds: 10,
            bin: e2e::workspace().join("target/release/domaincall"),
            keep: false,
            split: 0,
            dump: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            if flag == "--help" || flag == "-h" {
                println!("{USAGE}");
                std::process::exit(0);
            }
            if flag == "--keep" {
                args.keep = true;
                continue;
            }
            let value = it
                .next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
            let num = || {
                value
                    .parse::<u32>()
                    .with_context(|| format!("{flag}: `{value}` is not a number"))
            };
            match flag.as_str() {
                "--agents" => args.agents = num()? as usize,
                "--devices" => args.devices = num()? as usize,
                "--callers" => args.callers = num()? as usize,
                "--rate" => args.rate = num()?,
                "--seconds" => args.seconds = num()?,
                "--pairs" => args.pairs = num()? as usize,
                "--pair-rate" => args.pair_rate = num()?,
                "--relay-seconds" => args.relay_seconds = num()?,
                "--bin" => args.bin = PathBuf::from(&value),
                "--split" => args.split = num()? as usize,
                "--dump" => args.dump = Some(PathBuf::from(&value)),
                other => bail!("unknown option {other}\n{USAGE}"),
            }
        }
        if args.devices == 0 || args.agents < args.devices || args.callers == 0 || args.rate == 0 {
            bail!("need --devices ≥ 1, --agents ≥ --devices, --callers ≥ 1, --rate ≥ 1");
        }
        Ok(args)
    }
}

#[allow(clippy::cast_precision_loss)]
fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse()?;
    // 10,000 agents and their server ends are 20,000 sockets on this machine; the server
    // inherits the raised limit.
    let nofile = rlimit::increase_nofile_limit(u64::MAX).context("raising RLIMIT_NOFILE")?;
    let needed = (args.agents + args.callers + 2 * args.pairs) as u64 + 512;
    if nofile < needed {
        bail!("the open-file limit is {nofile}, need {needed}: raise the hard limit (ulimit -Hn)");
    }
    if !args.bin.exists() {
        bail!(
            "{} is missing: cargo build --release -p server --bin domaincall",
            args.bin.display()
        );
    }
    let businesses = args.agents / args.devices;
    let dir = std::env::temp_dir().join(format!("dc-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let port = server::free_port()?;
    let site_root = e2e::workspace().join("target/site");
    let public_url = format!("http://127.0.0.1:{port}");
    let (session_keys, keys) = seed::signing_key(&public_url)?;
    let config = server::Config {
        bin: &args.bin,
        data_dir: &dir,
        port,
        session_keys: &session_keys,
        site_root: &site_root,
    };
    println!("# domaincall bench");
    println!(
        "agents {} ({businesses} businesses × {} devices), callers {}, rate {}/s for {} s, relay pairs {} at {}/s per side",
        businesses * args.devices, args.devices, args.callers, args.rate, args.seconds, args.pairs, args.pair_rate
    );
    println!("fd limit {nofile}; data in {}", dir.display());

    let started = Instant::now();
    config.migrate()?;
    let plan = seed::Plan {
        businesses,
        devices: args.devices,
        callers: args.callers,
        pairs: args.pairs,
    };
    let seeded = seed::seed(&config.database_url(), &keys, "guest.127.0.0.1", &plan).await?;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    let srv = config.serve()?;
    let result = if args.split > 0 {
        let tokens: Vec<String> = seeded
            .ringing
            .iter()
            .flat_map(|b| b.agents.iter().cloned())
            .take(args.split)
            .collect();
        memory::split(&srv, &tokens).await
    } else {
        run(&args, &srv, seeded).await
    };
    if let Err(e) = &result {
        eprintln!(
            "bench failed: {e:#}; server log: {}",
            srv.log_path().display()
        );
    }
    drop(srv);
    if !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn run(args: &Args, srv: &server::Server, seeded: seed::Seeded) -> anyhow::Result<()> {
    let addr = srv.addr.clone();
    // Let the server settle (migrations checked, workers started) before the baseline.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let baseline = srv.rss_kib()?;
    println!("\n## memory per idle agent connection");
    println!(
        "server pid {}, {} threads, baseline RSS {baseline} KiB",
        srv.pid(),
        srv.threads()
    );

    // Phase 1: every agent device online and greeted.
    let tokens: Vec<String> = seeded
        .ringing
        .iter()
        .flat_map(|b| b.agents.iter().cloned())
        .collect();
    // In two halves: the second half's growth is what one more connection costs, without
    // the fixed costs the first thousands also pay for (the database's page caches fill
    // while sessions are checked, the allocator's arenas and the hub's maps grow).
    let t = Instant::now();
    let half = tokens.len() / 2;
    let mut sockets = client::connect_all(&addr, &tokens[..half], 64).await?;
    let first_half = t.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let middle = srv.rss_kib()?;
    let t2 = Instant::now();
    sockets.extend(client::connect_all(&addr, &tokens[half..], 64).await?);
    let n = sockets.len();
    let greeting = first_half + t2.elapsed();
    println!("{n} agents greeted in {:.1} s", greeting.as_secs_f64());
    let rings = Arc::new(setup::Rings::new(args.devices)?);
    let (stop_tx, stop) = watch::channel(false);
    let every = client::PING_EVERY.as_millis() as usize;
    let agents: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, ws)| {
            let offset = Duration::from_millis(((i * 7919) % every) as u64);
            setup::spawn_agent(ws, rings.clone(), offset, stop.clone())
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let loaded = srv.rss_kib()?;
    #[allow(clippy::cast_precision_loss)]
    let (per, marginal) = (
        (loaded.saturating_sub(baseline) * 1024) as f64 / n as f64,
        (loaded.saturating_sub(middle) * 1024) as f64 / (n - half).max(1) as f64,
    );
    println!(
        "RSS with {n} idle agents: {loaded} KiB (+{} KiB over the baseline) → {per:.0} bytes ({:.2} KB) per connection on average",
        loaded.saturating_sub(baseline),
        per / 1000.0,
    );
    println!(
        "RSS with {half} of them: {middle} KiB; the other {} added {} KiB → {marginal:.0} bytes ({:.2} KB) per connection; target ≤ 6 KB: {}",
        n - half,
        loaded.saturating_sub(middle),
        marginal / 1000.0,
        if marginal <= 6000.0 { "met" } else { "NOT met" }
    );

    // Phase 2: open-loop call setups.
    println!(
        "\n## call setup: request → `incoming` on the last of {} devices",
        args.devices
    );
    let callers = client::connect_all(
        &addr,
        &seeded
            .callers
            .iter()
            .map(|c| c.token.clone())
            .collect::<Vec<_>>(),
        64,
    )
    .await?;
    let domains = Arc::new(
        seeded
            .ringing
            .iter()
            .map(|b| b.domain.clone())
            .collect::<Vec<_>>(),
    );
    let measured = (args.rate * args.seconds) as usize;
    // Every business is called once (domains go round) and every caller once (callers
    // take turns) before the measured calls.
    let warmup = domains.len().max(callers.len());
    let schedule = setup::Schedule {
        start: Instant::now() + Duration::from_secs(1),
        interval: Duration::from_secs(1) / args.rate,
        total: warmup + measured,
        warmup,
        callers: callers.len(),
    };
    let warmed = schedule.start + schedule.interval * u32::try_from(warmup).unwrap_or(u32::MAX);
    let tasks: Vec<_> = callers
        .into_iter()
        .zip(&seeded.callers)
        .enumerate()
        .map(|(i, (ws, c))| {
            setup::spawn_caller(
                ws,
                c.name.clone(),
                i,
                domains.clone(),
                schedule,
                rings.clone(),
            )
        })
        .collect();
    tokio::time::sleep_until(warmed).await;
    let cpu0 = srv.cpu_seconds()?;
    let mut caller_errors = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                caller_errors += 1;
                if caller_errors <= 3 {
                    eprintln!("a caller failed: {e:#}");
                }
            }
            Err(e) => bail!("a caller task panicked: {e}"),
        }
    }
    let wall = warmed.elapsed().as_secs_f64();
    let cpu = srv.cpu_seconds()? - cpu0;
    let cold = rings.warmup();
    println!(
        "warm-up, the first call to each of {} businesses and {} callers (the server reads them from its database): {} setups, latency ms p50 {:.2}  p99 {:.2}  max {:.2}",
        domains.len(),
        schedule.callers,
        cold.len(),
        ms(cold.value_at_quantile(0.5)),
        ms(cold.value_at_quantile(0.99)),
        ms(cold.max()),
    );
    let h = rings.histogram();
    let total = measured;
    println!(
        "{} of {total} setups measured in {wall:.1} s ({:.0}/s); timeouts {}, refused {}, caller errors {caller_errors}, agents lost {}",
        h.len(),
        h.len() as f64 / wall,
        rings.timeouts.load(Ordering::Relaxed),
        rings.refused.load(Ordering::Relaxed),
        rings.agents_lost.load(Ordering::Relaxed),
    );
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}; target p99 ≤ 5 ms: {}",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.9)),
        ms(h.value_at_quantile(0.99)),
        ms(h.value_at_quantile(0.999)),
        ms(h.max()),
        if h.value_at_quantile(0.99) <= 5_000 && h.len() as usize == total {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "server CPU during the phase: {cpu:.1} s ({:.0}% of one core)",
        100.0 * cpu / wall
    );
    if let Some(path) = &args.dump {
        dump_samples(path, warmed, &rings.samples())?;
    }

    // Phase 3: relay.
    if args.pairs > 0 {
        relay_phase(args, srv, &seeded).await?;
    }
    let rss_end = srv.rss_kib()?;
    println!("\nserver RSS at the end: {rss_end} KiB");
    let _ = stop_tx.send(true);
    for a in agents {
        let _ = a.await;
    }
    Ok(())
}

/// Writes the setups as CSV (`due_ms,latency_ms`, by due time; the warm-up's are due
/// before 0) for looking at when the slow ones happened.
fn dump_samples(
    path: &std::path::Path,
    start: Instant,
    samples: &[(Instant, u64)],
) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let signed_ms = |due: Instant| {
        if due >= start {
            (due - start).as_secs_f64() * 1000.0
        } else {
            -(start - due).as_secs_f64() * 1000.0
        }
    };
    let mut rows: Vec<(f64, u64)> = samples
        .iter()
        .map(|(due, micros)| (signed_ms(*due), *micros))
        .collect();
    rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut csv = String::from("due_ms,latency_ms\n");
    for (due, micros) in rows {
        let _ = writeln!(csv, "{due:.3},{:.3}", ms(micros));
    }
    std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))?;
    println!("setups written to {}", path.display());
    Ok(())
}

async fn relay_phase(
    args: &Args,
    srv: &server::Server,
    seeded: &seed::Seeded,
) -> anyhow::Result<()> {
    println!(
        "\n## relayed messages: {} pairs, `ice` at {}/s per side",
        args.pairs, args.pair_rate
    );
    let addr = &srv.addr;
    let agent_tokens: Vec<String> = seeded.relay.iter().map(|b| b.agents[0].clone()).collect();
    let caller_tokens: Vec<String> = seeded
        .relay_callers
        .iter()
        .map(|c| c.token.clone())
        .collect();
    let mut agents = client::connect_all(addr, &agent_tokens, 64).await?;
    let mut callers = client::connect_all(addr, &caller_tokens, 64).await?;
    let results: Vec<anyhow::Result<()>> = futures::future::join_all(
        callers
            .iter_mut()
            .zip(agents.iter_mut())
            .zip(&seeded.relay)
            .map(|((c, a), b)| relay::connect_pair(c, a, &b.domain)),
    )
    .await;
    for r in results {
        r.context("connecting a relay pair")?;
    }
    let counters = Arc::new(relay::Counters::default());
    let (stop_tx, stop) = watch::channel(false);
    let mut tasks = Vec::new();
    for (i, (c, a)) in callers.into_iter().zip(agents).enumerate() {
        let offset = Duration::from_millis((i % 100) as u64);
        tasks.push(relay::spawn_endpoint(
            c,
            args.pair_rate,
            true,
            counters.clone(),
            offset,
            stop.clone(),
        ));
        tasks.push(relay::spawn_endpoint(
            a,
            args.pair_rate,
            false,
            counters.clone(),
            offset,
            stop.clone(),
        ));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (d0, s0, c0, t0) = (
        counters.delivered.load(Ordering::Relaxed),
        counters.sent.load(Ordering::Relaxed),
        srv.cpu_seconds()?,
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(u64::from(args.relay_seconds))).await;
    let (d1, s1, c1, wall) = (
        counters.delivered.load(Ordering::Relaxed),
        counters.sent.load(Ordering::Relaxed),
        srv.cpu_seconds()?,
        t0.elapsed().as_secs_f64(),
    );
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let delivered = (d1 - d0) as f64;
    let cpu = c1 - c0;
    println!(
        "sent {:.0}/s, delivered {:.0}/s over {wall:.1} s; failures {}",
        (s1 - s0) as f64 / wall,
        delivered / wall,
        counters.failed.load(Ordering::Relaxed)
    );
    let per_core = delivered / cpu.max(f64::EPSILON);
    println!(
        "server CPU {cpu:.1} s ({:.0}% of one core) → {per_core:.0} relayed msgs per server CPU-second; target ≥ 100,000 per core: {}",
        100.0 * cpu / wall,
        if per_core >= 100_000.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
