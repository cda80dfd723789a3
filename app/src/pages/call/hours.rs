//! Before the caller presses Call: is the business open, what are today's hours, when
//! does it open next — or its out-of-office message.
//!
//! The server renders the times in the business's own time zone (it cannot know the
//! caller's); once hydrated, the page reads the caller's zone from the browser
//! (`Intl.DateTimeFormat().resolvedOptions().timeZone`) and renders the same instants in
//! it. `#call-hours[data-zone]` says which zone the times are in.

use chrono::{DateTime, NaiveDateTime, Utc};
use entity::schedules::{OpenNow, StatusView};
use leptos::prelude::*;

/// The zone times are shown in: the caller's once known, else the business's.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // the caller's: browser only
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shown {
    Business(String),
    Caller(String),
}

impl Shown {
    fn zone(&self) -> &str {
        match self {
            Self::Business(z) | Self::Caller(z) => z,
        }
    }
}

/// A server-side local text (`YYYY-MM-DD HH:MM`) as `Tue 3 Jun, 09:00`.
fn business_text(local: &str) -> String {
    NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").map_or_else(
        |_| local.to_owned(),
        |t| t.format("%a %-d %b, %H:%M").to_string(),
    )
}

/// `at` as `Tue 3 Jun, 09:00` in `shown`'s zone (the caller's only in the browser).
fn when(at: DateTime<Utc>, local: Option<&String>, shown: &Shown) -> String {
    match shown {
        Shown::Business(_) => local.map_or_else(String::new, |l| business_text(l)),
        Shown::Caller(zone) => in_zone(at, zone, true),
    }
}

/// Formats an instant in an IANA zone with the browser's `Intl` (`Tue 3 Jun, 09:00`, or
/// `09:00` without the day).
#[cfg(feature = "hydrate")]
pub fn in_zone(at: DateTime<Utc>, zone: &str, with_day: bool) -> String {
    use wasm_bindgen::JsValue;
    #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit an f64 exactly
    let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    };
    set("timeZone", zone);
    set("hour", "2-digit");
    set("minute", "2-digit");
    set("hourCycle", "h23");
    if with_day {
        set("weekday", "short");
        set("day", "numeric");
        set("month", "short");
    }
    date.to_locale_string("en-GB", &options).into()
}

/// Without a browser there is no caller zone: the server never gets here.
#[cfg(not(feature = "hydrate"))]
pub fn in_zone(at: DateTime<Utc>, _zone: &str, _with_day: bool) -> String {
    at.format("%a %-d %b, %H:%M UTC").to_string()
}

/// The caller's IANA time zone, from the browser.
#[cfg(feature = "hydrate")]
pub fn caller_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
        .filter(|z| !z.is_empty())
}

/// Today's openings as `09:00–17:00, 18:00–22:00` in `shown`'s zone.
fn today(s: &StatusView, shown: &Shown) -> String {
    match shown {
        Shown::Business(_) => s.day_label.clone(),
        Shown::Caller(zone) if s.day_openings.is_empty() => {
            let _ = zone;
            s.day_label.clone()
        }
        Shown::Caller(zone) => s
            .day_openings
            .iter()
            .map(|o| {
                format!(
                    "{}\u{2013}{}",
                    in_zone(o.opens, zone, false),
                    in_zone(o.closes, zone, false)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The call page's opening line.
#[component]
pub fn CallHours(status: StatusView, business: String) -> impl IntoView {
    let shown = RwSignal::new(Shown::Business(status.time_zone.clone()));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(zone) = caller_zone() {
            shown.set(Shown::Caller(zone));
        }
    });
    let s = StoredValue::new(status);
    let state = s.with_value(|s| match s.state {
        OpenNow::Open => "open",
        OpenNow::Closed => "closed",
        OpenNow::OutOfOffice => "out_of_office",
    });
    let whose = move || match shown.get() {
        Shown::Business(zone) => format!("{business}'s time ({zone})"),
        Shown::Caller(zone) => format!("your time ({zone})"),
    };
    let headline = move || {
        let shown = shown.get();
        s.with_value(|s| match s.state {
            OpenNow::Open => match s.closes_at {
                Some(c) => format!(
                    "Open now \u{2014} until {}",
                    when(c, s.closes_at_local.as_ref(), &shown)
                ),
                None => "Open now".to_owned(),
            },
            OpenNow::Closed => match s.next_opening {
                Some(n) => format!(
                    "Closed now \u{2014} opens {}",
                    when(n, s.next_opening_local.as_ref(), &shown)
                ),
                None => "Closed now".to_owned(),
            },
            OpenNow::OutOfOffice => match s.until {
                Some(u) => format!(
                    "Out of office until {}",
                    when(u, s.until_local.as_ref(), &shown)
                ),
                None => "Out of office".to_owned(),
            },
        })
    };
    let message = s.with_value(|s| {
        s.message.clone().map(|m| {
            view! { <p class="call-hours-message" id="call-hours-message">{m}</p> }
        })
    });
    let has_hours = s.with_value(|s| s.has_hours);
    let day = move || s.with_value(|s| today(s, &shown.get()));
    view! {
        <section
            class="call-hours"
            id="call-hours"
            data-state=state
            data-zone=move || shown.with(|z| z.zone().to_owned())
            aria-labelledby="call-hours-state"
        >
            <p class="call-hours-state" id="call-hours-state">
                <span class="presence-dot" aria-hidden="true"></span>
                {headline}
            </p>
            {message}
            {has_hours.then(|| view! {
                <p class="call-hours-today" id="call-hours-today">
                    "Today\u{2019}s hours: "
                    <span id="call-hours-today-hours">{day}</span>
                </p>
            })}
            <p class="muted small" id="call-hours-zone">"Times in " {whose} "."</p>
        </section>
    }
}
