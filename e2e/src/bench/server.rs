//! The server under test: the real `domaincall` binary on a fresh SQLite database, and
//! what `/proc` says about it (resident memory, CPU time).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A running `domaincall serve`.
pub struct Server {
    child: Child,
    /// `127.0.0.1:port`.
    pub addr: String,
    data_dir: PathBuf,
    clock_ticks: f64,
}

/// Everything the binary needs in its environment.
pub struct Config<'a> {
    pub bin: &'a Path,
    pub data_dir: &'a Path,
    pub port: u16,
    /// `kid:base64url-secret`, the same key the seed signed the sessions with.
    pub session_keys: &'a str,
    pub site_root: &'a Path,
}

impl Config<'_> {
    /// The URL the server believes it is reached at (the issuer of its tokens).
    #[must_use]
    pub fn public_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The SQLite database both the seed and the server use.
    #[must_use]
    pub fn database_url(&self) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.data_dir.join("bench.db").display()
        )
    }

    fn command(&self, sub: &str) -> Command {
        let mut cmd = Command::new(self.bin);
        cmd.arg(sub)
            .env("DOMAINCALL_ADDR", format!("127.0.0.1:{}", self.port))
            .env("DOMAINCALL_PUBLIC_URL", self.public_url())
            .env("DOMAINCALL_DATA_DIR", self.data_dir)
            .env("DOMAINCALL_DATABASE_URL", self.database_url())
            .env("DOMAINCALL_SESSION_KEYS", self.session_keys)
            .env("DOMAINCALL_SITE_ROOT", self.site_root)
            // `BENCH_SERVER_LOG` (a tracing filter) looks inside; warnings only by default.
            .env(
                "DOMAINCALL_LOG",
                std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .env_remove("DOMAINCALL_ALLOWED_ORIGINS")
            .env_remove("DOMAINCALL_SMTP_URL")
            // Every caller of the load runs from one loopback address and calls every
            // second: lift the call limits (the bench measures the hub, not the limits).
            .env("DOMAINCALL_CALLS_PER_CALLER", "1000000")
            .env("DOMAINCALL_CALLS_PER_ADDRESS", "1000000")
            .env("DOMAINCALL_CALLS_PER_BUSINESS", "1000000");
        cmd
    }

    /// Runs `domaincall migrate` (creates the schema the seed writes into).
    ///
    /// # Errors
    /// When the binary cannot run or the migration fails.
    pub fn migrate(&self) -> anyhow::Result<()> {
        let status = self
            .command("migrate")
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("running {} migrate", self.bin.display()))?;
        if !status.success() {
            bail!("`domaincall migrate` failed: {status}");
        }
        Ok(())
    }

    /// Starts `domaincall serve` and waits until it accepts connections.
    ///
    /// # Errors
    /// When the binary cannot start or does not listen within 60 s.
    pub fn serve(&self) -> anyhow::Result<Server> {
        let log = std::fs::File::create(self.data_dir.join("server.log"))
            .context("creating the server log")?;
        let child = self
            .command("serve")
            .stdout(log.try_clone().context("server log")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {} serve", self.bin.display()))?;
        let addr = format!("127.0.0.1:{}", self.port);
        let mut server = Server {
            child,
            addr: addr.clone(),
            data_dir: self.data_dir.to_owned(),
            clock_ticks: clock_ticks(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(&addr).is_err() {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited with {status}; see {}",
                    self.data_dir.join("server.log").display()
                );
            }
            if Instant::now() > deadline {
                bail!("the server did not listen on {addr} within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }
}

impl Server {
    /// The process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory (`VmRSS`) in KiB.
    ///
    /// # Errors
    /// When `/proc/<pid>/status` cannot be read or parsed.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .context("reading /proc/<pid>/status")?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .context("no VmRSS line")?;
        line.split_whitespace()
            .nth(1)
            .context("VmRSS without a value")?
            .parse()
            .context("VmRSS is not a number")
    }

    /// User + system CPU time used so far, in seconds.
    ///
    /// # Errors
    /// When `/proc/<pid>/stat` cannot be read or parsed.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .context("reading /proc/<pid>/stat")?;
        // Fields after the parenthesised command name; utime and stime are the 14th and
        // 15th fields of the whole line.
        let rest = stat.rsplit_once(')').context("malformed stat")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| -> anyhow::Result<f64> {
            let v: u64 = fields
                .get(i)
                .context("short stat line")?
                .parse()
                .context("stat field")?;
            #[allow(clippy::cast_precision_loss)]
            Ok(v as f64)
        };
        Ok((ticks(11)? + ticks(12)?) / self.clock_ticks)
    }

    /// Threads of the server process.
    #[must_use]
    pub fn threads(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/task", self.pid()))
            .map(Iterator::count)
            .unwrap_or(0)
    }

    /// The server's log file.
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("server.log")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sysconf(_SC_CLK_TCK)` without unsafe code: ask `getconf`, default 100.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A free TCP port on loopback (bound, read, released).
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
