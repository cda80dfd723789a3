//! Test harness: the real application on a random port with a fresh database, on SQLite
//! or PostgreSQL, and a small GraphQL client.

use std::path::PathBuf;

use base64::Engine;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use server::{Application, Settings};

/// Which database a test runs against.
#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per database: `both_dbs!(name);` next to `async fn name(db: Db)`.
#[macro_export]
macro_rules! both_dbs {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Db::Postgres).await
            }
        }
    )+};
}

/// The session signing secret the tests know, so they can forge bad tokens.
pub const TEST_KEY_ID: &str = "test-k1";
pub const TEST_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-secret";

pub fn pg_admin_url() -> String {
    std::env::var("DOMAINCALL_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Settings that start the embedded TURN server on a loopback port, with `secret`,
/// relaying to loopback peers (`DOMAINCALL_TURN_ALLOWED_PEERS=127.0.0.0/8`: the tests' peers
/// live there; the server's own addresses stay refused).
pub fn embedded_turn(settings: &mut Settings, secret: &str) {
    settings.turn_server = Some(server::turn::TurnSettings {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        relay_ip: std::net::Ipv4Addr::LOCALHOST.into(),
        realm: "localhost".to_owned(),
        allowed_peers: "127.0.0.0/8".parse().expect("a CIDR range"),
        grace: entity::calls::ice::TURN_GRACE_AFTER_CALL,
    });
    settings.ice.turn_secret = Some(secret.to_owned().into());
}

/// An origin every test app counts as its own (its pages' `Origin`).
pub const OWN_ORIGIN: &str = "http://app.domaincall.test";

/// A running application.
pub struct TestApp {
    pub base: String,
    pub data_dir: PathBuf,
    /// The database the app runs on (another process may share it).
    pub database_url: String,
    pub http: reqwest::Client,
    pub services: entity::Services,
    /// Where the embedded TURN server listens, when the settings start one.
    pub turn: Option<std::net::SocketAddr>,
    pg_db: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Bearer(String),
    Cookie(String),
}

impl TestApp {
    /// Starts the app with a fresh database.
    pub async fn spawn(db: Db) -> Self {
        Self::spawn_with(db, |_| {}).await
    }

    /// Starts the app with a fresh database and extra settings.
    pub async fn spawn_with(db: Db, tweak: impl FnOnce(&mut Settings)) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (url, pg_db) = match db {
            Db::Sqlite => (None, None),
            Db::Postgres => {
                let name = format!("dc_test_{id}");
                let admin = Database::connect(format!("{}/postgres", pg_admin_url()))
                    .await
                    .expect("PostgreSQL at DOMAINCALL_TEST_PG_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                (Some(format!("{}/{name}", pg_admin_url())), Some(name))
            }
        };
        Self::start(url, pg_db, tweak).await
    }

    /// Two nodes of one app on one fresh PostgreSQL database, joined by NATS (this
    /// machine serves it at 127.0.0.1:4222) on subjects of their own: `(a, b)`. Only `a`
    /// runs the job workers, so every mail lands in `a`'s outbox. Finish `b` first: `a`
    /// removes the database.
    pub async fn two_nodes() -> (Self, Self) {
        let subject = format!("test.{}", uuid::Uuid::new_v4().simple());
        let joined = |s: &mut Settings| {
            s.nats_url = Some("nats://127.0.0.1:4222".to_owned().into());
            s.nats_subject.clone_from(&subject);
        };
        let a = Self::spawn_with(Db::Postgres, joined).await;
        let b = a
            .spawn_beside(|s| {
                joined(s);
                s.run_workers = false;
            })
            .await;
        (a, b)
    }

    /// Starts another node of this app: another server on the same database (which this
    /// one owns and removes), with its own data directory and settings.
    pub async fn spawn_beside(&self, tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::start(Some(self.database_url.clone()), None, tweak).await
    }

    /// Starts a server on database `url` (none: a fresh SQLite database in its data
    /// directory; `pg_db`: the PostgreSQL database it removes when it finishes).
    async fn start(
        url: Option<String>,
        pg_db: Option<String>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let data_dir = std::env::temp_dir().join(format!("dc-test-{id}"));
        std::fs::create_dir_all(&data_dir).unwrap();
        let url = url
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("test.db").display()));
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(TEST_SECRET);
        let vars = [
            ("DOMAINCALL_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
            (
                "DOMAINCALL_DATA_DIR".to_owned(),
                data_dir.display().to_string(),
            ),
            ("DOMAINCALL_DATABASE_URL".to_owned(), url.clone()),
            (
                "DOMAINCALL_SESSION_KEYS".to_owned(),
                format!("{TEST_KEY_ID}:{secret}"),
            ),
            ("DOMAINCALL_LOG".to_owned(), "warn".to_owned()),
            // Sign-up links arrive by email: look for queued mail often.
            ("DOMAINCALL_JOB_POLL_INTERVAL".to_owned(), "50ms".to_owned()),
            // Tests sign up many owners from 127.0.0.1; the limit's own tests set it back.
            (
                "DOMAINCALL_SIGNUPS_PER_CLIENT".to_owned(),
                "10000".to_owned(),
            ),
        ];
        let mut settings =
            Settings::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
                .unwrap();
        // The app's public URL names port 0 (it binds later), so pages "of ours" need an
        // origin the app knows: requests from our pages send this one.
        settings.allowed_origins.push(OWN_ORIGIN.to_owned());
        tweak(&mut settings);
        if std::env::var_os("TEST_LOG").is_some() {
            settings.log_filter = "info".into();
            server::telemetry::init_logging(&settings);
        }
        let app = Application::build(settings).await.unwrap();
        let addr = app.local_addr();
        let services = app.services().clone();
        let turn = app.turn_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        Self {
            base: format!("http://{addr}"),
            data_dir,
            database_url: url,
            // A request that hangs fails its test within a minute instead of holding the
            // whole suite until CI gives up.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .unwrap(),
            services,
            turn,
            pg_db,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the server and removes its database and data directory.
    pub async fn finish(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
        }
        if let Some(name) = self.pg_db.take() {
            if let Ok(admin) = Database::connect(format!("{}/postgres", pg_admin_url())).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }

    /// Sends a GraphQL request and returns the JSON response.
    pub async fn gql(&self, auth: &Auth, query: &str, variables: Value) -> Value {
        self.gql_raw(auth, query, variables)
            .await
            .json()
            .await
            .unwrap()
    }

    /// Sends a GraphQL request and returns the HTTP response.
    pub async fn gql_raw(&self, auth: &Auth, query: &str, variables: Value) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        req = match auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Cookie(t) => req.header("cookie", format!("dc_session={t}")),
        };
        req.send().await.unwrap()
    }

    /// Calls server function `endpoint` (`POST /api/<endpoint>`) with a form body, as the
    /// dashboard does without JavaScript but asking for JSON, with the extra `headers`
    /// (credentials); returns the HTTP response.
    pub async fn server_fn(
        &self,
        endpoint: &str,
        headers: &[(&str, String)],
        form: &(impl serde::Serialize + ?Sized),
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "application/json")
            .form(form);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        req.send().await.unwrap()
    }

    /// [`Self::server_fn`] as the holder of session `token`: the status and the body as
    /// JSON (a body that is not JSON comes back as a string).
    pub async fn server_fn_as(
        &self,
        token: &str,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let cookie = ("cookie", format!("dc_session={token}"));
        self.server_fn_json(endpoint, &[cookie], form).await
    }

    /// [`Self::server_fn`]: the status and the body as JSON (a body that is not JSON
    /// comes back as a string).
    pub async fn server_fn_json(
        &self,
        endpoint: &str,
        headers: &[(&str, String)],
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let res = self.server_fn(endpoint, headers, form).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The text of the page at `path` (no credentials).
    pub async fn page(&self, path: &str) -> String {
        let res = self.http.get(format!("{}{path}", self.base)).send().await;
        res.unwrap().text().await.unwrap()
    }

    /// Signs up a new owner with a unique email as a person would: `signUp`, the link from
    /// the emailed confirmation, `confirmSignUp`.
    pub async fn sign_up(&self, business: &str) -> Owner {
        let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
        let res = self
            .gql(
                &Auth::None,
                SIGN_UP,
                json!({ "i": { "email": email, "password": "correct horse battery", "businessName": business } }),
            )
            .await;
        assert_eq!(
            res["data"]["signUp"]["status"], "CHECK_YOUR_INBOX",
            "sign up failed: {res}"
        );
        let token = self.sign_up_token(&email).await;
        let res = self
            .gql(
                &Auth::None,
                CONFIRM_SIGN_UP,
                json!({ "t": token, "p": "correct horse battery" }),
            )
            .await;
        let p = &res["data"]["confirmSignUp"];
        assert!(
            p["token"].is_string(),
            "confirming the sign-up failed: {res}"
        );
        Owner {
            email,
            token: p["token"].as_str().unwrap().to_owned(),
            user_id: p["userId"].as_str().unwrap().to_owned(),
            business_id: p["businessId"].as_str().unwrap().to_owned(),
        }
    }

    /// The token of the sign-up link emailed to `email` (waiting for the mail). The email
    /// is taken out of the outbox, so later waits for mail to this address see what the
    /// test itself caused.
    pub async fn sign_up_token(&self, email: &str) -> String {
        let (path, mail) = self
            .mail_to(
                email,
                "/signup/confirm/",
                std::time::Duration::from_millis(20),
            )
            .await;
        let _ = std::fs::remove_file(path);
        link_in(&mail, "/signup/confirm/")
            .trim_start_matches("/signup/confirm/")
            .to_owned()
    }

    /// Creates an API key as `owner`; returns (id, secret).
    pub async fn api_key(&self, owner: &Owner, name: &str) -> (String, String) {
        let res = self
            .gql(
                &owner.auth(),
                "mutation($n: String!) { createApiKey(name: $n) { secret apiKey { id } } }",
                json!({ "n": name }),
            )
            .await;
        let k = &res["data"]["createApiKey"];
        assert!(k["secret"].is_string(), "create key failed: {res}");
        (
            k["apiKey"]["id"].as_str().unwrap().to_owned(),
            k["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// Waits (up to 30 s) for an email to `to` in the outbox; returns its raw text.
    pub async fn wait_for_mail(&self, to: &str) -> String {
        self.mail_to(to, "", std::time::Duration::from_millis(100))
            .await
            .1
    }

    /// Waits (up to 30 s) for an email to `to` whose decoded text holds `needle`.
    pub async fn wait_for_mail_with(&self, to: &str, needle: &str) -> String {
        self.mail_to(to, needle, std::time::Duration::from_millis(50))
            .await
            .1
    }

    /// Every email to `to` in the outbox now (raw text).
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data_dir.join("outbox")) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .filter(|text| text.contains(&format!("To: {to}")))
            .collect()
    }

    /// Waits (up to 30 s, looking every `every`) for an email to `to` holding `needle` (in
    /// its decoded text: a file being written holds it only once complete); returns its raw
    /// file and text.
    async fn mail_to(
        &self,
        to: &str,
        needle: &str,
        every: std::time::Duration,
    ) -> (PathBuf, String) {
        let dir = self.data_dir.join("outbox");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for e in entries.flatten() {
                    let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                    if text.contains(&format!("To: {to}")) && unfolded(&text).contains(needle) {
                        return (e.path(), text);
                    }
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no email to {to} in {}",
                dir.display()
            );
            tokio::time::sleep(every).await;
        }
    }
}

/// The sign-up mutation of the helpers and tests.
pub const SIGN_UP: &str = "mutation($i: SignUpInput!) { signUp(input: $i) { status email } }";
/// Finishing a sign-up with the emailed token.
pub const CONFIRM_SIGN_UP: &str = "mutation($t: String!, $p: String!) { \
    confirmSignUp(token: $t, password: $p) { token userId businessId } }";

/// A signed-up business owner.
#[derive(Clone, Debug)]
pub struct Owner {
    pub email: String,
    pub token: String,
    pub user_id: String,
    pub business_id: String,
}

impl Owner {
    pub fn auth(&self) -> Auth {
        Auth::Bearer(self.token.clone())
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(res: &Value) -> Option<&str> {
    res["errors"][0]["extensions"]["code"].as_str()
}

/// The text of an email with quoted-printable soft line breaks and `=3D` undone.
pub fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// Where a response sends the browser (its `Location`; empty without one).
pub fn location_of(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Extracts a URL path with `prefix` (e.g. "/invite/") from an email, undoing
/// quoted-printable soft line breaks.
pub fn link_in(mail: &str, prefix: &str) -> String {
    let flat = unfolded(mail);
    let start = flat
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {flat}"));
    flat[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

/// Sets the same opening `hours` on every day of the week, in `zone`, for the business
/// (`team` null) or a team.
pub async fn set_daily_hours(app: &TestApp, owner: &Owner, team: Value, zone: &str, hours: &str) {
    let mut input = json!({ "teamId": team, "timeZone": zone });
    for day in [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ] {
        input[day] = json!(hours);
    }
    let res = app
        .gql(
            &owner.auth(),
            "mutation($i: OpeningHoursInput!) { setOpeningHours(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    assert!(res["errors"].is_null(), "setOpeningHours: {res}");
}
