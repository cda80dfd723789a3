//! Typed configuration from `DOMAINCALL_*` environment variables.
//!
//! Zero configuration works: everything lives under `./data` (SQLite database, generated
//! secrets, mail outbox) and the server listens on 127.0.0.1:3000. Domain code never reads
//! the environment; it receives what it needs from here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use secrecy::SecretString;

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines with key=value fields.
    Text,
    /// One JSON object per event.
    Json,
}

/// Every setting of the server.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `DOMAINCALL_ADDR`: where to listen (default `127.0.0.1:3000`; port 0 picks one).
    pub addr: SocketAddr,
    /// `DOMAINCALL_DATA_DIR`: database, secrets and outbox (default `./data`).
    pub data_dir: PathBuf,
    /// `DOMAINCALL_DATABASE_URL`: `sqlite://…` or `postgres://…`
    /// (default `sqlite://<data dir>/domaincall.db?mode=rwc`).
    pub database_url: SecretString,
    /// `DOMAINCALL_NATS_URL`: the NATS server nodes share events through
    /// (`nats://host:4222`); unset, this process is the only node and needs no broker.
    pub nats_url: Option<SecretString>,
    /// `DOMAINCALL_NATS_SUBJECT`: the prefix of this deployment's NATS subjects (default
    /// `domaincall`), so several deployments can share one NATS server.
    pub nats_subject: String,
    /// `DOMAINCALL_PUBLIC_URL`: the URL people reach us at, used in emails and to decide
    /// whether cookies are `Secure` (default `http://<addr>`).
    pub public_url: String,
    /// `DOMAINCALL_SMTP_URL`: `smtp://user:pass@host:587` or `smtps://…`; unset writes
    /// mail to `<data dir>/outbox` instead.
    pub smtp_url: Option<SecretString>,
    /// `DOMAINCALL_MAIL_FROM`: sender of our emails (default `domaincall <no-reply@localhost>`).
    pub mail_from: String,
    /// `DOMAINCALL_SESSION_KEYS`: `kid:secret,kid:secret…` signing keys for session
    /// tokens, the first signs; unset generates one and keeps it in `<data dir>/secrets.json`.
    pub session_keys: Option<SecretString>,
    /// `DOMAINCALL_SESSION_TTL_HOURS`: dashboard session lifetime (default 336 = 14 days).
    pub session_ttl: chrono::Duration,
    /// `DOMAINCALL_WORKERS`: run the background job workers in `serve` (default `true`).
    pub run_workers: bool,
    /// `DOMAINCALL_SITE_ROOT`: the built site (wasm, JS, CSS) (default `LEPTOS_SITE_ROOT`
    /// or `target/site`).
    pub site_root: String,
    /// `DOMAINCALL_LOG`: tracing filter (default `info`).
    pub log_filter: String,
    /// `DOMAINCALL_LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `DOMAINCALL_LOG_RATE_LIMIT`: `<events>/<interval>` (default `50/1m`; events 1 to
    /// 100000, interval `1s` to `1h`) — at most that many info, warning or error events
    /// of one kind (one place in the code) are written per interval, the rest counted and
    /// reported; `off` writes them all. See [`crate::telemetry::RateLimited`].
    pub log_rate_limit: Option<crate::telemetry::LogRate>,
    /// `DOMAINCALL_DNS_SERVERS`: `ip[:port],…` name servers asked to verify domains
    /// (default: the system's, from `/etc/resolv.conf`).
    pub dns_servers: Vec<SocketAddr>,
    /// `DOMAINCALL_DNS_TIMEOUT`: how long one verification lookup may take (default `5s`).
    pub dns_timeout: Duration,
    /// `DOMAINCALL_REVERIFY_INTERVAL`: how often verified domains are checked again
    /// (default `24h`).
    pub reverify_interval: Duration,
    /// `DOMAINCALL_PENDING_RECHECK_INTERVAL`: how often pending domains are checked during
    /// their first 72 hours (default `10m`).
    pub pending_interval: Duration,
    /// `DOMAINCALL_REVOKE_AFTER_CHECKS`: consecutive checks finding the record missing
    /// before a verified domain is revoked (default 3).
    pub revoke_after: u32,
    /// `DOMAINCALL_SWEEP_INTERVAL`: how often the workers look for due periodic work
    /// (domain checks, expired identities) (default `30s`).
    pub sweep_interval: Duration,
    /// `DOMAINCALL_CALLER_ZONE`: the zone of evanescent caller names
    /// (default `guest.` + the public host).
    pub caller_zone: String,
    /// `DOMAINCALL_CALLER_TTL`: lifetime of an evanescent caller identity, `10m` to `24h`
    /// (default `1h`).
    pub caller_ttl: Duration,
    /// `DOMAINCALL_ALLOWED_ORIGINS`: comma-separated origins (`https://app.example.net`)
    /// whose pages may use the dashboard's cookies (`/ws`, `/graphql/ws`, `POST /graphql`,
    /// the server functions); the public URL's origin is always one. Verified business
    /// domains (and `call.` + one) may reach the call page's doors, without those cookies.
    pub allowed_origins: Vec<String>,
    /// The STUN/TURN servers handed to the two parties of a call:
    /// `DOMAINCALL_STUN_URLS` and `DOMAINCALL_TURN_URLS` (comma-separated `stun:`/`turn:`/
    /// `turns:` URLs, default none: peers on one network need neither),
    /// `DOMAINCALL_TURN_SECRET` (the TURN server's REST-API shared secret; TURN URLs are
    /// handed out only with it) and `DOMAINCALL_TURN_TTL` (how long a call's TURN
    /// credentials last, `1m` to `2d`, default `2h`).
    pub ice: entity::calls::ice::IceConfig,
    /// `DOMAINCALL_TURN_LISTEN` (a UDP address, default unset: none) starts the embedded
    /// TURN server there; `DOMAINCALL_TURN_RELAY_IP` is the address clients reach it and
    /// its relays at (default: the listen address). It is then the TURN server handed out
    /// unless `DOMAINCALL_TURN_URLS` names others, with `DOMAINCALL_TURN_SECRET` or, unset,
    /// a random secret of this process. `DOMAINCALL_TURN_ALLOWED_PEERS` (CIDR list, default
    /// none) lets it relay to listed non-public ranges.
    pub turn_server: Option<crate::turn::TurnSettings>,
    /// `DOMAINCALL_TRUSTED_PROXIES`: comma list of proxy addresses or CIDR ranges
    /// (`10.0.0.0/8,127.0.0.1`) whose `Forwarded` / `X-Forwarded-For` headers name the
    /// client (default none: the TCP peer is the client). See [`entity::net::client_ip`].
    pub trusted_proxies: entity::net::IpRanges,
    /// `DOMAINCALL_METRICS_TOKEN`: the bearer token `/metrics` asks for (16 to 1024
    /// visible ASCII characters); unset, `/metrics` answers 404.
    pub metrics_token: Option<SecretString>,
    /// `DOMAINCALL_GRAPHQL_CONSOLE`: serve the GraphQL console at `GET /graphql`
    /// (default `true`; our own page and script, nothing from elsewhere).
    pub graphql_console: bool,
    /// `DOMAINCALL_GRAPHQL_INTROSPECTION`: answer `__schema` / `__type` queries and serve
    /// `/graphql/schema.graphql` (default: on for an `http://` public URL, off for
    /// `https://`).
    pub graphql_introspection: bool,
    /// `DOMAINCALL_SIGNUPS_PER_CLIENT` (1 to 10000, default 5) and
    /// `DOMAINCALL_SIGNUPS_PER_EMAIL` (1 to 100, default 3): sign-ups accepted per client
    /// address (an IPv6 client by its /64) and per target email in any hour.
    pub signup_limits: entity::auth::signup::SignUpLimits,
    /// `DOMAINCALL_INVITATIONS_PER_DAY`: invitations a business may send in any 24 hours
    /// (1 to 10000, default 50).
    pub invitations_per_day: u32,
    /// `DOMAINCALL_CALLBACK_LINK_TTL`: how long the link a caller is mailed when a member
    /// calls back works (`10m` to `7d`, default `24h`).
    pub callback_link_ttl: Duration,
    /// `DOMAINCALL_MISSED_DIGEST_INTERVAL`: the least time between two summaries of missed
    /// calls nobody returned mailed to one member (`1m` to `7d`, default `1h`).
    pub missed_digest_interval: Duration,
    /// `DOMAINCALL_JOB_POLL_INTERVAL`: how often an idle job worker looks for new jobs, so
    /// the longest a queued email (a sign-up link) waits (`10ms` to `1m`, default `500ms`).
    pub job_poll_interval: Duration,
    /// Signed webhooks: `DOMAINCALL_WEBHOOK_ALLOWED_NETS` (CIDR list, default none: only
    /// public addresses are delivered to), `DOMAINCALL_WEBHOOK_ATTEMPTS` (1 to 20, default
    /// 10) and `DOMAINCALL_WEBHOOK_RETRY_DELAY` (the wait before the first retry, `10ms` to
    /// `1h`, default `10s`; each next wait is 4 times longer, at most 12 h). Endpoint names
    /// are resolved with `DOMAINCALL_DNS_SERVERS` and `DOMAINCALL_DNS_TIMEOUT` (the
    /// background work fills those in).
    pub webhooks: jobs::WebhookSettings,
    /// Timers and limits of the signaling hub. The timers are not read from the
    /// environment (the defaults are the protocol's; tests shorten them); the call limits
    /// are (see [`call_limits`]).
    pub signaling: crate::signaling::SignalingConfig,
}

/// Parses a duration like `500ms`, `30s`, `10m`, `24h` or `2d`.
///
/// # Errors
/// A message when the text is not a whole number followed by one of those units.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .context("a duration needs a unit: ms, s, m, h or d")?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .context("a duration starts with a whole number")?;
    let secs = |factor: u64| {
        n.checked_mul(factor)
            .map(Duration::from_secs)
            .context("duration too long")
    };
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        "d" => secs(86_400),
        other => bail!("unknown duration unit `{other}` (use ms, s, m, h or d)"),
    }
}

fn duration_var(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: Duration,
    range: std::ops::RangeInclusive<Duration>,
) -> anyhow::Result<Duration> {
    let Some(text) = get(name) else {
        return Ok(default);
    };
    let d = parse_duration(&text).with_context(|| format!("{name}: `{text}`"))?;
    if !range.contains(&d) {
        bail!(
            "{name} must be from {:?} to {:?}, not {text}",
            range.start(),
            range.end()
        );
    }
    Ok(d)
}

/// A comma list of ICE server URLs, each with one of `schemes`.
fn ice_urls(text: Option<String>, name: &str, schemes: &[&str]) -> anyhow::Result<Vec<String>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            let scheme_ok = u
                .split_once(':')
                .is_some_and(|(scheme, rest)| schemes.contains(&scheme) && !rest.is_empty());
            if scheme_ok {
                Ok(u.to_owned())
            } else {
                bail!("{name}: `{u}` is not a {} URL", schemes.join("/"))
            }
        })
        .collect()
}

/// The webhook settings read from the environment (see [`Settings::webhooks`]).
fn webhook_settings(
    get: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<jobs::WebhookSettings> {
    let allowed_nets = match get("DOMAINCALL_WEBHOOK_ALLOWED_NETS") {
        Some(text) => text
            .parse()
            .map_err(|e| anyhow::anyhow!("DOMAINCALL_WEBHOOK_ALLOWED_NETS: {e}"))?,
        None => entity::net::IpRanges::default(),
    };
    let defaults = entity::webhooks::RetrySchedule::default();
    let schedule = entity::webhooks::RetrySchedule {
        attempts: count_var(
            get,
            "DOMAINCALL_WEBHOOK_ATTEMPTS",
            defaults.attempts,
            1..=20,
        )?,
        first_delay: duration_var(
            get,
            "DOMAINCALL_WEBHOOK_RETRY_DELAY",
            defaults.first_delay,
            Duration::from_millis(10)..=Duration::from_secs(3600),
        )?,
    };
    Ok(jobs::WebhookSettings {
        allowed_nets,
        schedule,
        ..jobs::WebhookSettings::default()
    })
}

/// The embedded TURN server, when `DOMAINCALL_TURN_LISTEN` asks for one.
fn turn_server(
    get: &impl Fn(&str) -> Option<String>,
    public_url: &str,
) -> anyhow::Result<Option<crate::turn::TurnSettings>> {
    let Some(listen) = get("DOMAINCALL_TURN_LISTEN") else {
        return Ok(None);
    };
    let listen: SocketAddr = listen
        .parse()
        .context("DOMAINCALL_TURN_LISTEN must be a UDP address like 0.0.0.0:3478")?;
    let relay_ip = match get("DOMAINCALL_TURN_RELAY_IP") {
        Some(ip) => ip
            .parse()
            .context("DOMAINCALL_TURN_RELAY_IP must be an IP address")?,
        None if listen.ip().is_unspecified() => bail!(
            "DOMAINCALL_TURN_LISTEN is {listen}: set DOMAINCALL_TURN_RELAY_IP to the address clients reach it at"
        ),
        None => listen.ip(),
    };
    let allowed_peers = match get("DOMAINCALL_TURN_ALLOWED_PEERS") {
        Some(text) => text
            .parse()
            .map_err(|e| anyhow::anyhow!("DOMAINCALL_TURN_ALLOWED_PEERS: {e}"))?,
        None => entity::net::IpRanges::default(),
    };
    Ok(Some(crate::turn::TurnSettings {
        listen,
        relay_ip,
        realm: url_host(public_url).to_owned(),
        allowed_peers,
        grace: entity::calls::ice::TURN_GRACE_AFTER_CALL,
    }))
}

fn ice_config(
    get: &impl Fn(&str) -> Option<String>,
    embedded_turn: bool,
) -> anyhow::Result<entity::calls::ice::IceConfig> {
    let turn_urls = ice_urls(
        get("DOMAINCALL_TURN_URLS"),
        "DOMAINCALL_TURN_URLS",
        &["turn", "turns"],
    )?;
    let mut turn_secret = get("DOMAINCALL_TURN_SECRET").filter(|s| !s.is_empty());
    if embedded_turn {
        // One process needs no shared secret: a random one lives as long as it does.
        turn_secret.get_or_insert_with(|| hex::encode(rand::random::<[u8; 32]>()));
    }
    if !turn_urls.is_empty() && turn_secret.is_none() {
        bail!(
            "DOMAINCALL_TURN_URLS needs DOMAINCALL_TURN_SECRET (the TURN server's shared secret)"
        );
    }
    Ok(entity::calls::ice::IceConfig {
        stun_urls: ice_urls(
            get("DOMAINCALL_STUN_URLS"),
            "DOMAINCALL_STUN_URLS",
            &["stun", "stuns"],
        )?,
        turn_urls,
        turn_secret: turn_secret.map(Into::into),
        turn_ttl: duration_var(
            get,
            "DOMAINCALL_TURN_TTL",
            entity::calls::ice::DEFAULT_TURN_TTL,
            Duration::from_secs(60)..=Duration::from_secs(2 * 86_400),
        )?,
    })
}

/// `DOMAINCALL_LOG_RATE_LIMIT`: `off`, or `<events>/<interval>` like `50/1m`.
fn log_rate_limit(text: Option<String>) -> anyhow::Result<Option<crate::telemetry::LogRate>> {
    const NAME: &str = "DOMAINCALL_LOG_RATE_LIMIT";
    let Some(text) = text else {
        return Ok(Some(crate::telemetry::LogRate::default()));
    };
    if text == "off" {
        return Ok(None);
    }
    let usage = || {
        format!("{NAME} must be off or like 50/1m (1 to 100000 events per 1s to 1h), not `{text}`")
    };
    let (events, per) = text.split_once('/').with_context(usage)?;
    let events: u32 = events
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=100_000).contains(n))
        .with_context(usage)?;
    let per = parse_duration(per)
        .ok()
        .filter(|d| (Duration::from_secs(1)..=Duration::from_secs(3600)).contains(d))
        .with_context(usage)?;
    Ok(Some(crate::telemetry::LogRate { events, per }))
}

fn dns_servers(text: &str) -> anyhow::Result<Vec<SocketAddr>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<SocketAddr>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .with_context(|| {
                    format!("DOMAINCALL_DNS_SERVERS: `{s}` is not an address like 9.9.9.9 or 127.0.0.1:5353")
                })
        })
        .collect()
}

/// The host of a URL (`https://call.example.com:8443/x` → `call.example.com`).
/// The zone of guest names when none is set: `guest.` + the public host, or
/// `guest.localhost` when that host is an address (`guest-x7k2.guest.127.0.0.1` reads as
/// nonsense and is no domain name).
fn default_caller_zone(public_url: &str) -> String {
    let host = url_host(public_url);
    if host.parse::<std::net::IpAddr>().is_ok() {
        "guest.localhost".to_owned()
    } else {
        format!("guest.{host}")
    }
}

fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    entity::domains::host_without_port(authority)
        .trim_start_matches('[')
        .trim_end_matches(']')
}

/// `https://Example.com:8443/x` → `https://example.com:8443`: the scheme, host and port of
/// a URL, lowercased and without a default port, as browsers send it in `Origin`. `None`
/// unless it is http(s).
#[must_use]
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim().to_ascii_lowercase();
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(authority);
    Some(format!("{scheme}://{authority}"))
}

/// The public URL's origin with each loopback name, when it is on loopback: a developer
/// may open `http://localhost:3000` as well as `http://127.0.0.1:3000`.
fn loopback_aliases(public_origin: &str) -> Vec<String> {
    let Some((scheme, authority)) = public_origin.split_once("://") else {
        return Vec::new();
    };
    let host = entity::domains::host_without_port(authority);
    let port = &authority[host.len()..];
    if !["localhost", "127.0.0.1", "[::1]"].contains(&host) {
        return Vec::new();
    }
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .map(|h| format!("{scheme}://{h}{port}"))
        .filter(|o| o != public_origin)
        .collect()
}

/// The listed origins, and always the public URL's own (with its loopback aliases).
fn allowed_origins(text: Option<String>, public_url: &str) -> anyhow::Result<Vec<String>> {
    let mut origins: Vec<String> = origin_of(public_url).into_iter().collect();
    if let Some(public) = origins.first().cloned() {
        origins.extend(loopback_aliases(&public));
    }
    for s in text.iter().flat_map(|t| t.split(',')).map(str::trim) {
        if s.is_empty() {
            continue;
        }
        let origin = origin_of(s).with_context(|| {
            format!(
                "DOMAINCALL_ALLOWED_ORIGINS: `{s}` is not an origin like https://app.example.net"
            )
        })?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

/// A `true`/`false` setting.
fn flag(get: &impl Fn(&str) -> Option<String>, name: &str, default: bool) -> anyhow::Result<bool> {
    match get(name).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(_) => bail!("{name} must be true or false"),
    }
}

/// `DOMAINCALL_METRICS_TOKEN`, checked.
fn metrics_token(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<SecretString>> {
    let Some(token) = get("DOMAINCALL_METRICS_TOKEN") else {
        return Ok(None);
    };
    let printable = token.bytes().all(|b| b.is_ascii_graphic());
    if !(16..=1024).contains(&token.len()) || !printable {
        bail!("DOMAINCALL_METRICS_TOKEN must be 16 to 1024 visible ASCII characters");
    }
    Ok(Some(token.into()))
}

/// A whole number from `name`, within `range`, or `default` when unset.
fn count_var(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> anyhow::Result<u32> {
    let Some(text) = get(name) else {
        return Ok(default);
    };
    text.trim()
        .parse()
        .ok()
        .filter(|n| range.contains(n))
        .with_context(|| {
            format!(
                "{name} must be a whole number from {} to {}, not {text}",
                range.start(),
                range.end()
            )
        })
}

/// The call limits: `DOMAINCALL_CALLS_PER_CALLER` (call requests per caller identity per
/// minute, default 6), `DOMAINCALL_CALLS_PER_ADDRESS` (per client address, IPv6 per /64,
/// default 20), `DOMAINCALL_CALLS_PER_BUSINESS` (per business, default 600), each 1 to
/// 1,000,000; `DOMAINCALL_SOCKETS_PER_CALLER` (open `/ws` sockets per caller identity,
/// default 3, 1 to 1,000) and `DOMAINCALL_SOCKETS_PER_AGENT` (per member, default 20,
/// 1 to 10,000).
fn call_limits(
    get: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<entity::calls::limits::CallLimits> {
    use entity::calls::limits::{self as l, Rate};
    let per_minute =
        |name, default| count_var(get, name, default, 1..=1_000_000).map(Rate::per_minute);
    Ok(l::CallLimits {
        per_caller: per_minute("DOMAINCALL_CALLS_PER_CALLER", l::CALLS_PER_CALLER)?,
        per_address: per_minute("DOMAINCALL_CALLS_PER_ADDRESS", l::CALLS_PER_ADDRESS)?,
        per_business: per_minute("DOMAINCALL_CALLS_PER_BUSINESS", l::CALLS_PER_BUSINESS)?,
        sockets_per_caller: count_var(
            get,
            "DOMAINCALL_SOCKETS_PER_CALLER",
            l::SOCKETS_PER_CALLER,
            1..=1_000,
        )?,
        sockets_per_agent: count_var(
            get,
            "DOMAINCALL_SOCKETS_PER_AGENT",
            l::SOCKETS_PER_AGENT,
            1..=10_000,
        )?,
    })
}

/// The sign-up windows (`DOMAINCALL_SIGNUPS_PER_CLIENT`, `DOMAINCALL_SIGNUPS_PER_EMAIL`).
fn signup_limits(
    get: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<entity::auth::signup::SignUpLimits> {
    let defaults = entity::auth::signup::SignUpLimits::default();
    let default = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(entity::auth::signup::SignUpLimits {
        per_client: count_var(
            get,
            "DOMAINCALL_SIGNUPS_PER_CLIENT",
            default(defaults.per_client),
            1..=10_000,
        )? as usize,
        per_email: count_var(
            get,
            "DOMAINCALL_SIGNUPS_PER_EMAIL",
            default(defaults.per_email),
            1..=100,
        )? as usize,
        window: defaults.window,
    })
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Settings {
    /// Reads the settings from the process environment.
    ///
    /// # Errors
    /// A message naming the variable whose value is invalid.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(var)
    }

    /// Reads the settings through `get` (the environment, or a map in tests).
    ///
    /// # Errors
    /// A message naming the variable whose value is invalid.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let addr: SocketAddr = get("DOMAINCALL_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("DOMAINCALL_ADDR must be an address like 127.0.0.1:3000")?;
        let data_dir = PathBuf::from(get("DOMAINCALL_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = get("DOMAINCALL_DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("domaincall.db").display()
            )
        });
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            bail!("DOMAINCALL_DATABASE_URL must start with sqlite:// or postgres://");
        }
        let nats_url = get("DOMAINCALL_NATS_URL").filter(|u| !u.trim().is_empty());
        if let Some(u) = &nats_url {
            if !(u.starts_with("nats://") || u.starts_with("tls://")) {
                bail!("DOMAINCALL_NATS_URL must start with nats:// or tls://");
            }
            if database_url.starts_with("sqlite:") {
                bail!(
                    "DOMAINCALL_NATS_URL joins this process to other nodes, which must share one \
                     PostgreSQL database: set DOMAINCALL_DATABASE_URL to postgres://… (SQLite \
                     is one process's file), or unset DOMAINCALL_NATS_URL to run a single node"
                );
            }
        }
        let nats_subject = get("DOMAINCALL_NATS_SUBJECT").unwrap_or_else(|| "domaincall".into());
        if nats_subject.is_empty()
            || !nats_subject.split('.').all(|t| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
        {
            bail!("DOMAINCALL_NATS_SUBJECT must be dot-separated letters, digits, - and _");
        }
        let public_url = get("DOMAINCALL_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("DOMAINCALL_PUBLIC_URL must start with http:// or https://");
        }
        let smtp_url = get("DOMAINCALL_SMTP_URL");
        if let Some(u) = &smtp_url {
            if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
                bail!("DOMAINCALL_SMTP_URL must start with smtp:// or smtps://");
            }
        }
        let ttl_hours: i64 = match get("DOMAINCALL_SESSION_TTL_HOURS") {
            Some(v) => v
                .parse()
                .ok()
                .filter(|h| (1..=24 * 365).contains(h))
                .context(
                    "DOMAINCALL_SESSION_TTL_HOURS must be a whole number of hours from 1 to 8760",
                )?,
            None => 24 * 14,
        };
        let run_workers = match get("DOMAINCALL_WORKERS").as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(_) => bail!("DOMAINCALL_WORKERS must be true or false"),
        };
        let log_format = match get("DOMAINCALL_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => bail!("DOMAINCALL_LOG_FORMAT must be text or json"),
        };
        let dns_servers = match get("DOMAINCALL_DNS_SERVERS") {
            Some(text) => dns_servers(&text)?,
            None => Vec::new(),
        };
        let hour = Duration::from_secs(3600);
        let second = Duration::from_secs(1);
        let revoke_after =
            match get("DOMAINCALL_REVOKE_AFTER_CHECKS") {
                Some(v) => v.parse().ok().filter(|n| (1..=100).contains(n)).context(
                    "DOMAINCALL_REVOKE_AFTER_CHECKS must be a whole number from 1 to 100",
                )?,
                None => 3,
            };
        let caller_zone =
            get("DOMAINCALL_CALLER_ZONE").unwrap_or_else(|| default_caller_zone(&public_url));
        let caller_ttl = duration_var(
            &get,
            "DOMAINCALL_CALLER_TTL",
            hour,
            Duration::from_secs(600)..=24 * hour,
        )?;
        entity::callers::CallerPolicy::new(&caller_zone, chrono::Duration::hours(1))
            .map_err(|e| anyhow::anyhow!("DOMAINCALL_CALLER_ZONE: {e}"))?;
        let allowed_origins = allowed_origins(get("DOMAINCALL_ALLOWED_ORIGINS"), &public_url)?;
        let trusted_proxies = match get("DOMAINCALL_TRUSTED_PROXIES") {
            Some(text) => text
                .parse()
                .map_err(|e| anyhow::anyhow!("DOMAINCALL_TRUSTED_PROXIES: {e}"))?,
            None => entity::net::IpRanges::default(),
        };
        let turn_server = turn_server(&get, &public_url)?;
        let ice = ice_config(&get, turn_server.is_some())?;
        let graphql_introspection = flag(
            &get,
            "DOMAINCALL_GRAPHQL_INTROSPECTION",
            !public_url.starts_with("https://"),
        )?;
        let signup_limits = signup_limits(&get)?;
        let invitations_per_day = count_var(
            &get,
            "DOMAINCALL_INVITATIONS_PER_DAY",
            entity::auth::invitations::DEFAULT_PER_DAY,
            1..=10_000,
        )?;
        let callback_link_ttl = duration_var(
            &get,
            "DOMAINCALL_CALLBACK_LINK_TTL",
            24 * hour,
            Duration::from_secs(600)..=7 * 24 * hour,
        )?;
        let missed_digest_interval = duration_var(
            &get,
            "DOMAINCALL_MISSED_DIGEST_INTERVAL",
            hour,
            Duration::from_secs(60)..=7 * 24 * hour,
        )?;
        let job_poll_interval = duration_var(
            &get,
            "DOMAINCALL_JOB_POLL_INTERVAL",
            jobs::WorkerOptions::default().poll_interval,
            Duration::from_millis(10)..=Duration::from_secs(60),
        )?;
        Ok(Self {
            webhooks: webhook_settings(&get)?,
            metrics_token: metrics_token(&get)?,
            graphql_console: flag(&get, "DOMAINCALL_GRAPHQL_CONSOLE", true)?,
            graphql_introspection,
            signup_limits,
            invitations_per_day,
            callback_link_ttl,
            missed_digest_interval,
            job_poll_interval,
            trusted_proxies,
            ice,
            turn_server,
            allowed_origins,
            signaling: crate::signaling::SignalingConfig {
                limits: call_limits(&get)?,
                ..crate::signaling::SignalingConfig::default()
            },
            dns_servers,
            dns_timeout: duration_var(
                &get,
                "DOMAINCALL_DNS_TIMEOUT",
                5 * second,
                Duration::from_millis(100)..=60 * second,
            )?,
            reverify_interval: duration_var(
                &get,
                "DOMAINCALL_REVERIFY_INTERVAL",
                24 * hour,
                second..=30 * 24 * hour,
            )?,
            pending_interval: duration_var(
                &get,
                "DOMAINCALL_PENDING_RECHECK_INTERVAL",
                Duration::from_secs(600),
                second..=24 * hour,
            )?,
            revoke_after,
            sweep_interval: duration_var(
                &get,
                "DOMAINCALL_SWEEP_INTERVAL",
                30 * second,
                Duration::from_millis(50)..=hour,
            )?,
            caller_zone,
            caller_ttl,
            addr,
            data_dir,
            database_url: database_url.into(),
            nats_url: nats_url.map(Into::into),
            nats_subject,
            public_url,
            smtp_url: smtp_url.map(Into::into),
            mail_from: get("DOMAINCALL_MAIL_FROM")
                .unwrap_or_else(|| "domaincall <no-reply@localhost>".into()),
            session_keys: get("DOMAINCALL_SESSION_KEYS").map(Into::into),
            session_ttl: chrono::Duration::hours(ttl_hours),
            run_workers,
            site_root: get("DOMAINCALL_SITE_ROOT")
                .or_else(|| get("LEPTOS_SITE_ROOT"))
                .unwrap_or_else(|| "target/site".into()),
            log_filter: get("DOMAINCALL_LOG").unwrap_or_else(|| "info".into()),
            log_format,
            log_rate_limit: log_rate_limit(get("DOMAINCALL_LOG_RATE_LIMIT"))?,
        })
    }

    /// Whether the public URL is https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn zero_configuration_defaults() {
        let s = from(&[]).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(
            s.database_url.expose_secret(),
            "sqlite://data/domaincall.db?mode=rwc"
        );
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert!(s.smtp_url.is_none() && s.run_workers && !s.is_https());
        assert!(s.dns_servers.is_empty());
        assert_eq!(s.reverify_interval, Duration::from_secs(24 * 3600));
        assert_eq!(s.pending_interval, Duration::from_secs(600));
        assert_eq!(s.revoke_after, 3);
        assert_eq!(s.caller_zone, "guest.localhost", "an address is no zone");
        assert_eq!(s.caller_ttl, Duration::from_secs(3600));
        assert_eq!(
            s.allowed_origins,
            vec![
                "http://127.0.0.1:3000",
                "http://localhost:3000",
                "http://[::1]:3000"
            ]
        );
        assert_eq!(s.log_rate_limit, Some(crate::telemetry::LogRate::default()));
        assert_eq!(s.ice.turn_ttl, Duration::from_secs(2 * 3600));
        let s = from(&[("DOMAINCALL_LOG_RATE_LIMIT", "5/10s")]).unwrap();
        assert_eq!(
            s.log_rate_limit,
            Some(crate::telemetry::LogRate {
                events: 5,
                per: Duration::from_secs(10)
            })
        );
        let s = from(&[("DOMAINCALL_LOG_RATE_LIMIT", "off")]).unwrap();
        assert_eq!(s.log_rate_limit, None);
    }

    #[test]
    fn call_limits_parse() {
        let defaults = from(&[]).unwrap().signaling.limits;
        assert_eq!(defaults, entity::calls::limits::CallLimits::default());
        assert_eq!(defaults.per_caller.count, 6);
        assert_eq!(defaults.sockets_per_caller, 3);
        let s = from(&[
            ("DOMAINCALL_CALLS_PER_CALLER", "12"),
            ("DOMAINCALL_CALLS_PER_ADDRESS", "1000000"),
            ("DOMAINCALL_CALLS_PER_BUSINESS", "30"),
            ("DOMAINCALL_SOCKETS_PER_CALLER", "1"),
            ("DOMAINCALL_SOCKETS_PER_AGENT", "50"),
        ])
        .unwrap();
        let l = s.signaling.limits;
        assert_eq!(
            (
                l.per_caller.count,
                l.per_address.count,
                l.per_business.count
            ),
            (12, 1_000_000, 30)
        );
        assert_eq!((l.sockets_per_caller, l.sockets_per_agent), (1, 50));
        assert_eq!(l.per_caller.per, Duration::from_secs(60));
        for (k, v) in [
            ("DOMAINCALL_CALLS_PER_CALLER", "0"),
            ("DOMAINCALL_CALLS_PER_ADDRESS", "lots"),
            ("DOMAINCALL_CALLS_PER_BUSINESS", "1000001"),
            ("DOMAINCALL_SOCKETS_PER_CALLER", "0"),
            ("DOMAINCALL_SOCKETS_PER_AGENT", "-1"),
        ] {
            let e = from(&[(k, v)]).unwrap_err().to_string();
            assert!(e.contains(k), "{e}");
        }
    }

    #[test]
    fn allowed_origins_parse() {
        let s = from(&[(
            "DOMAINCALL_ALLOWED_ORIGINS",
            "https://App.example.net:443/, http://localhost:3000, http://x.example:80",
        )])
        .unwrap();
        assert_eq!(
            s.allowed_origins,
            vec![
                "http://127.0.0.1:3000",
                "http://localhost:3000",
                "http://[::1]:3000",
                "https://app.example.net",
                "http://x.example"
            ],
            "the public URL's origin is always one of ours"
        );
        let s = from(&[("DOMAINCALL_PUBLIC_URL", "https://call.example.net/x")]).unwrap();
        assert_eq!(s.allowed_origins, vec!["https://call.example.net"]);
    }

    #[test]
    fn door_settings_parse() {
        let s = from(&[]).unwrap();
        assert!(s.metrics_token.is_none() && s.graphql_console && s.graphql_introspection);
        let s = from(&[("DOMAINCALL_PUBLIC_URL", "https://call.example.net")]).unwrap();
        assert!(
            !s.graphql_introspection,
            "off by default in production (https)"
        );
        let s = from(&[
            ("DOMAINCALL_PUBLIC_URL", "https://call.example.net"),
            ("DOMAINCALL_GRAPHQL_INTROSPECTION", "true"),
            ("DOMAINCALL_GRAPHQL_CONSOLE", "false"),
            ("DOMAINCALL_METRICS_TOKEN", "0123456789abcdef"),
        ])
        .unwrap();
        assert!(s.graphql_introspection && !s.graphql_console);
        assert_eq!(s.metrics_token.unwrap().expose_secret(), "0123456789abcdef");
    }

    #[test]
    fn ice_settings_parse() {
        let s = from(&[
            (
                "DOMAINCALL_STUN_URLS",
                "stun:stun.example.net:3478, stuns:stun.example.net",
            ),
            (
                "DOMAINCALL_TURN_URLS",
                "turn:turn.example.net:3478?transport=udp",
            ),
            ("DOMAINCALL_TURN_SECRET", "shared"),
            ("DOMAINCALL_TURN_TTL", "1h"),
        ])
        .unwrap();
        assert_eq!(s.ice.stun_urls.len(), 2);
        assert_eq!(
            s.ice.turn_urls,
            vec!["turn:turn.example.net:3478?transport=udp"]
        );
        assert_eq!(s.ice.turn_ttl, Duration::from_secs(3600));
        assert!(from(&[]).unwrap().ice.stun_urls.is_empty());
    }

    #[test]
    fn the_embedded_turn_server_is_configured_by_its_listen_address() {
        assert!(from(&[]).unwrap().turn_server.is_none());
        let s = from(&[
            ("DOMAINCALL_PUBLIC_URL", "https://call.example.net/"),
            ("DOMAINCALL_TURN_LISTEN", "0.0.0.0:3478"),
            ("DOMAINCALL_TURN_RELAY_IP", "203.0.113.7"),
        ])
        .unwrap();
        let turn = s.turn_server.expect("configured");
        assert_eq!(turn.listen.to_string(), "0.0.0.0:3478");
        assert_eq!(turn.relay_ip.to_string(), "203.0.113.7");
        assert_eq!(turn.realm, "call.example.net");
        assert!(
            turn.allowed_peers.is_empty(),
            "only public peers by default"
        );
        let s = from(&[
            ("DOMAINCALL_TURN_LISTEN", "127.0.0.1:3478"),
            ("DOMAINCALL_TURN_ALLOWED_PEERS", "10.8.0.0/16, fd00::/8"),
        ])
        .unwrap();
        let allowed = s.turn_server.expect("configured").allowed_peers;
        assert!(allowed.contains("10.8.1.2".parse().unwrap()));
        assert!(!allowed.contains("10.9.1.2".parse().unwrap()));
        let secret = s.ice.turn_secret.expect("a secret of its own");
        assert_eq!(secret.expose_secret().len(), 64, "32 random bytes, hex");
        let s = from(&[
            ("DOMAINCALL_TURN_LISTEN", "127.0.0.1:3478"),
            ("DOMAINCALL_TURN_SECRET", "shared"),
        ])
        .unwrap();
        assert_eq!(
            s.turn_server.expect("configured").relay_ip.to_string(),
            "127.0.0.1"
        );
        assert_eq!(s.ice.turn_secret.expect("given").expose_secret(), "shared");
    }

    #[test]
    fn domain_settings_parse() {
        let s = from(&[
            ("DOMAINCALL_PUBLIC_URL", "https://call.example.net:8443/"),
            ("DOMAINCALL_DNS_SERVERS", "127.0.0.1:5353, 9.9.9.9"),
            ("DOMAINCALL_REVERIFY_INTERVAL", "2d"),
            ("DOMAINCALL_SWEEP_INTERVAL", "250ms"),
            ("DOMAINCALL_CALLER_TTL", "24h"),
        ])
        .unwrap();
        assert_eq!(
            s.dns_servers,
            vec![
                "127.0.0.1:5353".parse::<SocketAddr>().unwrap(),
                "9.9.9.9:53".parse().unwrap()
            ]
        );
        assert_eq!(s.reverify_interval, Duration::from_secs(2 * 86_400));
        assert_eq!(s.sweep_interval, Duration::from_millis(250));
        assert_eq!(s.caller_zone, "guest.call.example.net");
        assert_eq!(s.caller_ttl, Duration::from_secs(86_400));
    }

    #[test]
    fn signup_invitation_and_job_settings_parse() {
        let s = from(&[]).unwrap();
        assert_eq!(s.signup_limits.per_client, 5);
        assert_eq!(s.signup_limits.per_email, 3);
        assert_eq!(s.invitations_per_day, 50);
        assert_eq!(s.callback_link_ttl, Duration::from_secs(24 * 3600));
        assert_eq!(s.job_poll_interval, Duration::from_millis(500));
        let s = from(&[
            ("DOMAINCALL_JOB_POLL_INTERVAL", "50ms"),
            ("DOMAINCALL_SIGNUPS_PER_CLIENT", "20"),
            ("DOMAINCALL_SIGNUPS_PER_EMAIL", "1"),
            ("DOMAINCALL_INVITATIONS_PER_DAY", "500"),
            ("DOMAINCALL_CALLBACK_LINK_TTL", "30m"),
        ])
        .unwrap();
        assert_eq!(s.callback_link_ttl, Duration::from_secs(1800));
        assert_eq!(s.signup_limits.per_client, 20);
        assert_eq!(s.signup_limits.per_email, 1);
        assert_eq!(s.invitations_per_day, 500);
        assert_eq!(s.job_poll_interval, Duration::from_millis(50));
        for (k, v) in [
            ("DOMAINCALL_JOB_POLL_INTERVAL", "5ms"),
            ("DOMAINCALL_SIGNUPS_PER_CLIENT", "0"),
            ("DOMAINCALL_SIGNUPS_PER_EMAIL", "101"),
            ("DOMAINCALL_INVITATIONS_PER_DAY", "lots"),
            ("DOMAINCALL_CALLBACK_LINK_TTL", "8d"),
            ("DOMAINCALL_CALLBACK_LINK_TTL", "5m"),
        ] {
            let err = from(&[(k, v)]).unwrap_err().to_string();
            assert!(err.contains(k), "{k}: {err}");
        }
    }

    #[test]
    fn nats_joins_nodes_on_postgres_only() {
        let pg = "postgres://db/domaincall";
        let s = from(&[
            ("DOMAINCALL_DATABASE_URL", pg),
            ("DOMAINCALL_NATS_URL", "nats://127.0.0.1:4222"),
            ("DOMAINCALL_NATS_SUBJECT", "acme.prod"),
        ])
        .unwrap();
        assert!(s.nats_url.is_some());
        assert_eq!(s.nats_subject, "acme.prod");
        assert!(
            from(&[]).unwrap().nats_url.is_none(),
            "no broker by default"
        );
        let err = from(&[("DOMAINCALL_NATS_URL", "nats://127.0.0.1:4222")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("PostgreSQL"),
            "a second node on SQLite is refused: {err}"
        );
        for (k, v) in [
            ("DOMAINCALL_NATS_URL", "http://nats"),
            ("DOMAINCALL_NATS_SUBJECT", "a..b"),
            ("DOMAINCALL_NATS_SUBJECT", "a.*"),
        ] {
            let err = from(&[("DOMAINCALL_DATABASE_URL", pg), (k, v)])
                .unwrap_err()
                .to_string();
            assert!(err.contains(k), "{k}: {err}");
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (k, v) in [
            ("DOMAINCALL_ADDR", "nowhere"),
            ("DOMAINCALL_DATABASE_URL", "mysql://x"),
            ("DOMAINCALL_PUBLIC_URL", "example.com"),
            ("DOMAINCALL_SMTP_URL", "http://mail"),
            ("DOMAINCALL_SESSION_TTL_HOURS", "0"),
            ("DOMAINCALL_WORKERS", "maybe"),
            ("DOMAINCALL_LOG_FORMAT", "xml"),
            ("DOMAINCALL_DNS_SERVERS", "ns1.example.com"),
            ("DOMAINCALL_DNS_TIMEOUT", "5"),
            ("DOMAINCALL_REVERIFY_INTERVAL", "0s"),
            ("DOMAINCALL_PENDING_RECHECK_INTERVAL", "10 parsecs"),
            ("DOMAINCALL_REVOKE_AFTER_CHECKS", "0"),
            ("DOMAINCALL_SWEEP_INTERVAL", "2y"),
            ("DOMAINCALL_CALLER_ZONE", "no spaces"),
            ("DOMAINCALL_CALLER_TTL", "5m"),
            ("DOMAINCALL_CALLER_TTL", "25h"),
            ("DOMAINCALL_ALLOWED_ORIGINS", "example.com"),
            ("DOMAINCALL_ALLOWED_ORIGINS", "ftp://example.com"),
            ("DOMAINCALL_STUN_URLS", "stun.example.net:3478"),
            ("DOMAINCALL_TURN_URLS", "turn:turn.example.net"),
            ("DOMAINCALL_TURN_TTL", "10s"),
            ("DOMAINCALL_TURN_LISTEN", "3478"),
            ("DOMAINCALL_TURN_LISTEN", "0.0.0.0:3478"),
            ("DOMAINCALL_METRICS_TOKEN", "short"),
            ("DOMAINCALL_METRICS_TOKEN", "sixteen chars but spaces"),
            ("DOMAINCALL_GRAPHQL_CONSOLE", "maybe"),
            ("DOMAINCALL_GRAPHQL_INTROSPECTION", "sometimes"),
        ] {
            let err = from(&[(k, v)]).unwrap_err().to_string();
            assert!(err.contains(k), "{k}: {err}");
        }
        for v in ["10.0.0.0/33", "intranet"] {
            let k = "DOMAINCALL_TURN_ALLOWED_PEERS";
            let err = from(&[(k, v), ("DOMAINCALL_TURN_LISTEN", "127.0.0.1:3478")])
                .unwrap_err()
                .to_string();
            assert!(err.contains(k), "{k}: {err}");
        }
        for (k, v) in [
            ("DOMAINCALL_LOG_RATE_LIMIT", "ten"),
            ("DOMAINCALL_LOG_RATE_LIMIT", "0/1m"),
            ("DOMAINCALL_LOG_RATE_LIMIT", "10/0s"),
        ] {
            let err = from(&[(k, v)]).unwrap_err().to_string();
            assert!(err.contains(k), "{k}: {err}");
        }
    }

    #[test]
    fn webhook_settings_parse() {
        let s = from(&[]).unwrap().webhooks;
        assert!(s.allowed_nets.is_empty());
        assert_eq!(s.schedule, entity::webhooks::RetrySchedule::default());
        assert_eq!(s.timeout, Duration::from_secs(10));
        let s = from(&[
            ("DOMAINCALL_WEBHOOK_ALLOWED_NETS", "127.0.0.0/8, fd00::/8"),
            ("DOMAINCALL_WEBHOOK_ATTEMPTS", "3"),
            ("DOMAINCALL_WEBHOOK_RETRY_DELAY", "50ms"),
        ])
        .unwrap()
        .webhooks;
        assert!(s.allowed_nets.contains("127.0.0.1".parse().unwrap()));
        assert!(!s.allowed_nets.contains("10.0.0.1".parse().unwrap()));
        assert_eq!(s.schedule.attempts, 3);
        assert_eq!(s.schedule.first_delay, Duration::from_millis(50));
        for (k, v) in [
            ("DOMAINCALL_WEBHOOK_ALLOWED_NETS", "intranet"),
            ("DOMAINCALL_WEBHOOK_ATTEMPTS", "0"),
            ("DOMAINCALL_WEBHOOK_ATTEMPTS", "21"),
            ("DOMAINCALL_WEBHOOK_RETRY_DELAY", "2h"),
            ("DOMAINCALL_WEBHOOK_RETRY_DELAY", "1ms"),
        ] {
            let err = from(&[(k, v)]).unwrap_err().to_string();
            assert!(err.contains(k), "{k}: {err}");
        }
    }
}
