//! Building and running the application: bind first (port 0 in tests), then serve until
//! told to stop, then drain.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use axum::Router;
use entity::auth::rate_limit::{HitLimiter, SignInLimiter};
use entity::auth::tokens::Keyring;
use entity::callers::CallerPolicy;
use entity::domains::{Checker, DomainPolicy, Verifier};
use entity::events::{EventBus, LocalBus};
use entity::Services;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::settings::Settings;
use crate::signaling::Hub;
use crate::state::AppState;
use crate::{db, graphql, http, secrets, signaling};

/// The app's routes, listed once per process.
///
/// Listing them runs the app with every resource load suppressed by a process-wide flag
/// (leptos-rs/leptos#4773): a resource that first polls on any thread while it is set never
/// loads, and the page rendering it never finishes. Listing once, before the first server
/// of the process serves anything, keeps that window away from every render — a process
/// that starts several servers (the tests do) would otherwise hang a page of one server
/// whenever another one starts.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    background: Option<Background>,
    services: Services,
    hub: Hub,
    /// The embedded TURN server, when configured (`DOMAINCALL_TURN_LISTEN`).
    turn: Option<crate::turn::EmbeddedTurn>,
}

/// The background work: the job workers (mail, webhooks) and the periodic sweeps (domain
/// checks, identity expiry). Built once and run by `serve` or `worker`.
pub struct Background {
    /// Where jobs are pushed (also the outbox of domain code).
    pub queue: jobs::Queue,
    worker: jobs::WorkerContext,
    /// Domain checks and identity expiry.
    pub periodic: jobs::PeriodicContext,
    sweep_interval: std::time::Duration,
    /// How often idle job workers look for new jobs.
    poll_interval: std::time::Duration,
}

/// Builds the background work; `events` is the bus its domain changes are published on.
///
/// # Errors
/// When the queue, the mail or the DNS configuration fail.
pub async fn build_background(
    settings: &Settings,
    db: &DatabaseConnection,
    events: Arc<dyn EventBus>,
) -> anyhow::Result<Background> {
    let queue = jobs::Queue::connect(db)
        .await
        .context("setting up the job queue")?;
    let mailer = jobs::Mailer::new(&jobs::MailSettings {
        smtp_url: settings
            .smtp_url
            .as_ref()
            .map(|s| s.expose_secret().to_owned()),
        from: settings.mail_from.clone(),
        outbox_dir: settings.data_dir.join("outbox"),
    })
    .context("configuring mail")?;
    let verifier = Verifier::new(&settings.dns_servers, settings.dns_timeout)
        .context("configuring DNS verification (set DOMAINCALL_DNS_SERVERS)")?;
    let checker = Checker {
        verifier,
        policy: DomainPolicy {
            reverify_interval: settings.reverify_interval,
            pending_interval: settings.pending_interval,
            revoke_after: settings.revoke_after,
        },
        outbox: Arc::new(queue.clone()),
        events,
        public_url: settings.public_url.clone(),
    };
    let webhooks = jobs::Deliverer::new(&jobs::WebhookSettings {
        dns_servers: settings.dns_servers.clone(),
        dns_timeout: settings.dns_timeout,
        ..settings.webhooks.clone()
    })
    .context("configuring webhook delivery (set DOMAINCALL_DNS_SERVERS)")?;
    Ok(Background {
        worker: jobs::WorkerContext {
            db: db.clone(),
            mailer,
            webhooks,
            queue: queue.clone(),
        },
        periodic: jobs::PeriodicContext {
            db: db.clone(),
            domains: checker,
            outbox: Arc::new(queue.clone()),
            public_url: settings.public_url.clone(),
            missed_digest_every: chrono::Duration::from_std(settings.missed_digest_interval)
                .unwrap_or(chrono::Duration::hours(1)),
        },
        queue,
        sweep_interval: settings.sweep_interval,
        poll_interval: settings.job_poll_interval,
    })
}

impl Background {
    /// Runs the job workers and the periodic sweeps until `shutdown` resolves, then lets
    /// both finish what they are doing.
    ///
    /// # Errors
    /// When the job workers fail.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = move |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let periodic = tokio::spawn(jobs::periodic::run(
            self.periodic,
            self.sweep_interval,
            stopped(stop_rx.clone()),
        ));
        let options = jobs::WorkerOptions {
            poll_interval: self.poll_interval,
            ..jobs::WorkerOptions::default()
        };
        let workers = jobs::worker::run_with(self.queue, self.worker, options, stopped(stop_rx));
        let (result, ()) = tokio::join!(workers, async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let _ = periodic.await;
        result
    }
}

fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("domaincall")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .build()
}

impl Application {
    /// Connects, migrates, binds and assembles the router.
    ///
    /// # Errors
    /// When the database, the secrets, the mail configuration or the address fail.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Install the metrics recorder before anything records.
        crate::telemetry::metrics_handle();
        // Before anything is written: the database, keys and mail are private.
        crate::data_dir::secure(&settings.data_dir);
        let db = db::connect(&settings.database_url).await?;
        db::migrate(&db).await?;
        let keys = secrets::load_session_keys(settings.session_keys.as_ref(), &settings.data_dir)?;
        let events = event_bus(&settings).await?;
        let background = build_background(&settings, &db, events.clone()).await?;
        let callers = CallerPolicy::new(
            &settings.caller_zone,
            chrono::Duration::from_std(settings.caller_ttl)?,
        )
        .map_err(|e| anyhow::anyhow!(e))?;
        let services = Services {
            db,
            keys: Arc::new(Keyring::new(settings.public_url.clone(), keys)?),
            outbox: Arc::new(background.queue.clone()),
            limiter: Arc::new(SignInLimiter::default()),
            events,
            public_url: settings.public_url.clone(),
            secure_cookies: settings.is_https(),
            session_ttl: settings.session_ttl,
            domains: background.periodic.domains.clone(),
            callers,
            guest_limiter: Arc::new(HitLimiter::new(
                entity::callers::GUESTS_PER_CLIENT,
                entity::callers::GUEST_WINDOW,
            )),
            signup_limiter: Arc::new(entity::auth::signup::SignUpLimiter::new(
                settings.signup_limits,
            )),
            invitations_per_day: settings.invitations_per_day,
            callback_link_ttl: chrono::Duration::from_std(settings.callback_link_ttl)?,
            webhook_targets: entity::webhooks::TargetPolicy::new(
                settings.webhooks.allowed_nets.clone(),
            ),
        };
        let leptos = leptos_options(&settings);
        let turn = match (&settings.turn_server, &settings.ice.turn_secret) {
            (Some(turn), Some(secret)) => {
                Some((crate::turn::BoundTurn::bind(turn).await?, secret.clone()))
            }
            _ => None,
        };
        let mut ice = settings.ice.clone();
        if let (Some((turn, _)), true) = (&turn, ice.turn_urls.is_empty()) {
            ice.turn_urls.push(turn.url());
        }
        let hub = Hub::new(
            settings.signaling,
            ice,
            settings.allowed_origins.clone(),
            settings.is_https(),
            &services.events,
            &services.db,
        );
        hub.follow_events();
        crate::rewards::follow(
            services.db.clone(),
            &services.events,
            services.outbox.clone(),
        );
        // The TURN server asks the hub whether a call is live, so it starts after it.
        let turn = match turn {
            Some((turn, secret)) => Some(turn.start(secret, Arc::new(hub.clone())).await?),
            None => None,
        };
        let state = AppState {
            schema: graphql::schema(
                services.clone(),
                hub.clone(),
                settings.graphql_introspection,
            ),
            services: services.clone(),
            leptos: leptos.clone(),
            hub: hub.clone(),
            http: Arc::new(http::HttpConfig::new(&settings)),
        };
        let routes = route_list();
        let ctx_services = services.clone();
        let online = entity::calls::online::OnlineNow(Arc::new(hub.clone()));
        let records = entity::calls::records::CallRecords(hub.engine().records());
        let router = Router::new()
            .merge(http::router())
            .merge(graphql::router())
            .merge(signaling::router())
            .leptos_routes_with_context(
                &state,
                routes,
                move || {
                    http::security::provide_leptos_nonce();
                    provide_context(ctx_services.clone());
                    provide_context(online.clone());
                    provide_context(records.clone());
                },
                {
                    let leptos = leptos.clone();
                    move || app::shell(leptos.clone())
                },
            )
            .fallback(leptos_axum::file_and_error_handler_with_context::<
                AppState,
                _,
            >(
                http::security::provide_leptos_nonce, app::shell
            ))
            .layer(axum::middleware::from_fn(
                http::server_fn_status::bad_arguments_are_400,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                http::csrf::guard_server_fns,
            ))
            .layer(axum::middleware::from_fn(http::track_requests))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(settings.trusted_proxies.clone()),
                http::client_addr::client_addr,
            ))
            .layer(axum::middleware::from_fn_with_state(
                http::security::SecurityHeaders {
                    hsts: settings.is_https(),
                },
                http::security::security_headers,
            ))
            .layer(TraceLayer::new_for_http())
            .with_state(state);
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("binding {}", settings.addr))?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            router,
            addr,
            background: settings.run_workers.then_some(background),
            services,
            hub,
            turn,
        })
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The services, for tests that reach behind the HTTP API.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The assembled router, for driving requests without a socket (the fuzz target).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The signaling hub, for tests that look at live connections.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Where the embedded TURN server listens, when it runs.
    pub fn turn_addr(&self) -> Option<SocketAddr> {
        self.turn.as_ref().map(|t| t.addr)
    }

    /// Serves until `shutdown` resolves, then tells every signaling socket to reconnect
    /// and closes it (1001), stops accepting, finishes in-flight requests and lets the
    /// workers finish their current jobs.
    ///
    /// # Errors
    /// When serving fails.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let workers = self.background.map(|background| {
            let mut rx = stop_rx;
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = rx.wait_for(|s| *s).await;
                };
                if let Err(e) = background.run(stopped).await {
                    tracing::error!(error = %e, "job workers stopped with an error");
                }
            })
        });
        tracing::info!(addr = %self.addr, "listening");
        let hub = self.hub;
        let shutdown = async move {
            shutdown.await;
            hub.shutdown().await;
        };
        // Signaling frames are small and each batch is written at once: Nagle's algorithm
        // would hold one back until the previous one is acknowledged.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
            }
        });
        let served = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        tracing::info!("HTTP server stopped; stopping workers");
        if let Some(turn) = self.turn {
            turn.close().await;
        }
        let _ = stop_tx.send(true);
        if let Some(w) = workers {
            let _ = w.await;
        }
        served.context("serving HTTP")
    }
}

/// The event bus: through NATS when `DOMAINCALL_NATS_URL` is set (several nodes), else
/// this process's own.
///
/// # Errors
/// When NATS is set but cannot be reached.
pub async fn event_bus(settings: &Settings) -> anyhow::Result<Arc<dyn EventBus>> {
    Ok(match &settings.nats_url {
        Some(url) => {
            crate::nats_bus::NatsBus::connect(url.expose_secret(), &settings.nats_subject).await?
        }
        None => Arc::new(LocalBus::default()),
    })
}
