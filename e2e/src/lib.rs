//! End-to-end harness: the real `domaincall` binary and real Chromium through chromedriver.
//!
//! Depends on nothing of ours: it drives the built binary (`target/debug/domaincall`, built
//! by the test command) with a fresh data directory, and the hydrated site in `target/site`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

pub mod attack;
pub mod graphql;
pub mod netns;
pub mod site;
pub mod tab;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where screenshots go.
pub fn screenshot_dir() -> PathBuf {
    let dir = workspace().join("target/e2e");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A running `domaincall serve` with its own data directory (SQLite).
pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
}

impl Server {
    /// Starts the binary on a free port and waits for it to listen. Its public URL is its
    /// own origin (so browsers' `/ws` sockets pass the Origin allowlist), unless
    /// `extra_env` says otherwise.
    ///
    /// # Errors
    /// When the binary is missing or does not come up within 30 s.
    pub fn start(extra_env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let bin = workspace().join("target/debug/domaincall");
        if !bin.exists() {
            bail!(
                "{} is missing: build it with `cargo build -p server`",
                bin.display()
            );
        }
        let data_dir =
            std::env::temp_dir().join(format!("dc-e2e-{}", uuid::Uuid::new_v4().simple()));
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut cmd = Command::new(&bin);
        cmd.arg("serve")
            .env("DOMAINCALL_ADDR", format!("127.0.0.1:{port}"))
            .env("DOMAINCALL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("DOMAINCALL_DATA_DIR", &data_dir)
            .env("DOMAINCALL_SITE_ROOT", workspace().join("target/site"))
            .env("DOMAINCALL_LOG_FORMAT", "json")
            .env("DOMAINCALL_LOG", "info")
            .env_remove("DOMAINCALL_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    if v["fields"]["message"] == "listening" {
                        let _ =
                            tx.send(v["fields"]["addr"].as_str().unwrap_or_default().to_owned());
                    }
                }
                println!("[server] {line}");
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .context("the server did not start listening")?;
        Ok(Self {
            child,
            base: format!("http://{addr}"),
            data_dir,
        })
    }

    /// The process id (to send signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits up to `timeout` for a clean exit.
    ///
    /// # Errors
    /// When the process does not exit in time or exits with a failure.
    pub fn terminate(&mut self, timeout: Duration) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                if status.success() {
                    return Ok(());
                }
                bail!("the server exited with {status}");
            }
            if Instant::now() > deadline {
                bail!("the server did not stop within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Files in the mail outbox.
    pub fn outbox(&self) -> Vec<String> {
        std::fs::read_dir(self.data_dir.join("outbox"))
            .map(|d| {
                d.flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The path (`/signup/confirm/<token>`) of the sign-up link emailed to `email`, once
    /// that email is in the outbox (quoted-printable line breaks undone).
    pub fn sign_up_link(&self, email: &str) -> Option<String> {
        const PREFIX: &str = "/signup/confirm/";
        self.outbox().into_iter().find_map(|mail| {
            if !mail.contains(&format!("To: {email}")) {
                return None;
            }
            let flat = mail
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            let start = flat.find(PREFIX)?;
            let link: String = flat[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
                .collect();
            (link.len() > PREFIX.len()).then_some(link)
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// A chromedriver process on a free port.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    /// Starts chromedriver and waits until it answers.
    ///
    /// # Errors
    /// When chromedriver is not installed or does not answer within 20 s.
    pub async fn start() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver (apt-get install chromium-driver)")?;
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{url}/status")).await.is_err() {
            if Instant::now() > deadline {
                bail!("chromedriver did not start");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self { child, url })
    }

    /// A new headless Chromium session with its own profile.
    ///
    /// # Errors
    /// When the session cannot be created.
    pub async fn browser(&self, fake_media: bool) -> anyhow::Result<fantoccini::Client> {
        self.browser_with(fake_media, &[]).await
    }

    /// [`Driver::browser`] with extra Chromium switches (e.g. `--host-resolver-rules=…`
    /// to reach the server under a business's host name).
    ///
    /// # Errors
    /// When the session cannot be created.
    pub async fn browser_with(
        &self,
        fake_media: bool,
        extra_args: &[String],
    ) -> anyhow::Result<fantoccini::Client> {
        let profile =
            std::env::temp_dir().join(format!("dc-chrome-{}", uuid::Uuid::new_v4().simple()));
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-quic".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        if fake_media {
            args.push("--use-fake-device-for-media-stream".to_owned());
            args.push("--use-fake-ui-for-media-stream".to_owned());
            args.push("--allow-loopback-in-peer-connection".to_owned());
        }
        args.extend(extra_args.iter().cloned());
        let caps = serde_json::json!({
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
            "goog:loggingPrefs": { "browser": "ALL" }
        });
        let serde_json::Value::Object(caps) = caps else {
            bail!("capabilities")
        };
        // chromedriver speaks plain HTTP on loopback: no TLS stack needed.
        fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .context("opening a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Saves a screenshot as `target/e2e/<name>.png`.
///
/// # Errors
/// When the browser cannot take it or the file cannot be written.
pub async fn screenshot(client: &fantoccini::Client, name: &str) -> anyhow::Result<PathBuf> {
    let png = client.screenshot().await?;
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    Ok(path)
}

/// Polls `f` every 100 ms until it yields `Some`, or fails after `timeout`.
///
/// # Errors
/// `what` did not happen in time.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The browser console's errors (a panic of the hydrated app, a failed request) since the
/// last call, from chromedriver (`driver_url` is [`Driver::url`]).
///
/// # Errors
/// When chromedriver cannot be asked.
pub async fn console_errors(
    driver_url: &str,
    client: &fantoccini::Client,
) -> anyhow::Result<Vec<String>> {
    let session = client.session_id().await?.context("no WebDriver session")?;
    let log: serde_json::Value = reqwest::Client::new()
        .post(format!("{driver_url}/session/{session}/se/log"))
        .json(&serde_json::json!({ "type": "browser" }))
        .send()
        .await?
        .json()
        .await?;
    Ok(log["value"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE")
                .filter_map(|e| e["message"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}
