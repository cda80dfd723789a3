//! Structured logs (tracing) and Prometheus metrics.
//!
//! Logs must survive an attacker. Much of what they record can be triggered by a stranger
//! at will — a datagram to a relay port, an unauthenticated TURN request, a refused
//! sign-in — and a line per packet would fill the disk and bury what matters. So every
//! info, warning and error passes a rate limit per kind of event ([`RateLimited`]): at
//! most `DOMAINCALL_LOG_RATE_LIMIT` events of one kind per interval are written, the rest
//! are counted and the count is reported once the interval is over. It sits at the root
//! (the log writer's filter), so it holds for every event, ours and our dependencies'.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::callsite::Identifier;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata};
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::settings::{LogFormat, Settings};

/// The target of the rate limit's own reports (never limited).
const REPORT_TARGET: &str = "domaincall::log_rate_limit";

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init_logging(settings: &Settings) {
    let filter =
        EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let limit = settings.log_rate_limit.map(RateLimited::new);
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match settings.log_format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(false)
                    .with_filter(limit.clone()),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(fmt::layer().with_target(false).with_filter(limit.clone()))
            .try_init(),
    };
    if let (Ok(()), Some(limit)) = (installed, limit) {
        limit.report_periodically();
    }
}

/// How many log events of one kind are written per interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogRate {
    /// Events written per interval.
    pub events: u32,
    /// The interval.
    pub per: Duration,
}

impl Default for LogRate {
    /// 50 a minute: more than any kind needs when nothing is wrong.
    fn default() -> Self {
        Self {
            events: 50,
            per: Duration::from_secs(60),
        }
    }
}

/// What makes events "of one kind": the place in the code that emits them. Records
/// bridged from the `log` crate (webrtc-rs' `turn` logs through it) share one tracing
/// callsite per level, so they are told apart by the file and line they carry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Callsite(Identifier),
    Log {
        file: String,
        line: u64,
        level: Level,
    },
}

/// One kind's current interval.
struct Window {
    started: Instant,
    passed: u32,
    suppressed: u64,
    /// Where the events come from, for the report.
    source: String,
}

#[derive(Default)]
struct Counts {
    windows: HashMap<Kind, Window>,
    /// Counts of intervals that ended, not reported yet: (source, suppressed).
    pending: Vec<(String, u64)>,
}

/// The log writer's rate limit (a per-layer [`Filter`]): at most [`LogRate::events`]
/// events at info level or above of each kind per [`LogRate::per`]; debug and trace
/// (asked for explicitly) are never limited. [`RateLimited::report`] writes one warning
/// per kind with how many were held back. Clones share their counts.
#[derive(Clone)]
pub struct RateLimited {
    rate: LogRate,
    counts: Arc<Mutex<Counts>>,
}

/// The `log` crate's origin fields of a bridged record.
#[derive(Default)]
struct LogOrigin {
    target: String,
    file: String,
    line: u64,
}

impl Visit for LogOrigin {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "log.target" => value.clone_into(&mut self.target),
            "log.file" => value.clone_into(&mut self.file),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "log.line" {
            self.line = value;
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

/// The kind of `event`, and a description of where it comes from.
fn kind_of(event: &Event<'_>) -> (Kind, String) {
    let meta = event.metadata();
    if meta.fields().field("log.file").is_some() {
        let mut origin = LogOrigin::default();
        event.record(&mut origin);
        let source = format!("{} ({}:{})", origin.target, origin.file, origin.line);
        let kind = Kind::Log {
            file: origin.file,
            line: origin.line,
            level: *meta.level(),
        };
        return (kind, source);
    }
    let source = format!(
        "{} ({}:{})",
        meta.target(),
        meta.file().unwrap_or("?"),
        meta.line().unwrap_or_default()
    );
    (Kind::Callsite(meta.callsite()), source)
}

impl RateLimited {
    /// A limit of `rate`.
    #[must_use]
    pub fn new(rate: LogRate) -> Self {
        Self {
            rate,
            counts: Arc::default(),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `event`, observed at `now`, is written.
    fn admit(&self, event: &Event<'_>, now: Instant) -> bool {
        let meta = event.metadata();
        if *meta.level() > Level::INFO || meta.target() == REPORT_TARGET {
            return true;
        }
        let (kind, source) = kind_of(event);
        let mut counts = self.counts();
        let Counts { windows, pending } = &mut *counts;
        let window = windows.entry(kind).or_insert_with(|| Window {
            started: now,
            passed: 0,
            suppressed: 0,
            source,
        });
        if now.duration_since(window.started) >= self.rate.per {
            if window.suppressed > 0 {
                pending.push((window.source.clone(), window.suppressed));
            }
            window.started = now;
            window.passed = 0;
            window.suppressed = 0;
        }
        if window.passed < self.rate.events {
            window.passed += 1;
            true
        } else {
            window.suppressed += 1;
            metrics::counter!("log_events_suppressed_total").increment(1);
            false
        }
    }

    /// Writes, as one warning per kind, how many events were held back in intervals that
    /// are over, and forgets those intervals.
    pub fn report(&self) {
        let now = Instant::now();
        let per = self.rate.per;
        let reports = {
            let mut counts = self.counts();
            let mut reports = std::mem::take(&mut counts.pending);
            counts.windows.retain(|_, window| {
                if now.duration_since(window.started) < per {
                    return true;
                }
                if window.suppressed > 0 {
                    reports.push((window.source.clone(), window.suppressed));
                }
                false
            });
            reports
        };
        for (source, suppressed) in reports {
            tracing::warn!(
                target: REPORT_TARGET,
                suppressed,
                %source,
                interval = ?per,
                "repeated log events suppressed (DOMAINCALL_LOG_RATE_LIMIT)"
            );
        }
    }

    /// Reports every interval from a thread of its own, for the life of the process.
    fn report_periodically(self) {
        let every = self.rate.per;
        let spawned = std::thread::Builder::new()
            .name("log-rate-limit".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                self.report();
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the log rate limit's reports");
        }
    }
}

impl<S> Filter<S> for RateLimited {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        self.admit(event, Instant::now())
    }
}

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ])
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Fails only when another recorder is already installed; we then still serve
            // this (empty) one rather than crash.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Everything the log writer wrote.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }

    fn refused_relay(i: u32) {
        tracing::warn!(i, "refused relay");
    }

    /// A record as the `log` bridge delivers it: its origin in `log.*` fields.
    fn bridged(line: u64) {
        tracing::error!(
            log.target = "turn::server",
            log.file = "turn/src/server/mod.rs",
            log.line = line,
            "error when handling datagram"
        );
    }

    #[test]
    fn a_flood_of_one_kind_is_cut_to_the_rate_and_counted() {
        let captured = Captured::default();
        let limit = RateLimited::new(LogRate {
            events: 3,
            per: Duration::from_millis(300),
        });
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .with_filter(Some(limit.clone())),
        );
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..100 {
                refused_relay(i);
            }
            tracing::warn!("another kind of warning");
            for _ in 0..40 {
                bridged(170);
            }
            bridged(171);
            for _ in 0..10 {
                tracing::debug!("asked-for detail");
            }
            limit.report();
            assert!(
                !captured.text().contains("suppressed"),
                "nothing is reported while the interval runs"
            );
            std::thread::sleep(Duration::from_millis(350));
            limit.report();
            refused_relay(100);
        });
        let text = captured.text();
        assert_eq!(text.matches("refused relay").count(), 4, "{text}");
        assert!(
            text.contains("i=100"),
            "a new interval writes again: {text}"
        );
        assert_eq!(text.matches("another kind of warning").count(), 1);
        // The formatter hides `log.*` fields: 3 records of line 170 and the one of 171.
        assert_eq!(
            text.matches("error when handling datagram").count(),
            4,
            "bridged records are told apart by file and line: {text}"
        );
        assert_eq!(
            text.matches("asked-for detail").count(),
            10,
            "debug is not limited"
        );
        assert_eq!(
            text.matches("repeated log events suppressed").count(),
            2,
            "{text}"
        );
        assert!(text.contains("suppressed=97"), "{text}");
        assert!(text.contains("suppressed=37"), "{text}");
        assert!(text.contains("turn/src/server/mod.rs:170"), "{text}");
    }
}
