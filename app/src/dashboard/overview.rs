//! `/app`: the business's home page — how its calls went over the last 7 or 30 days
//! (`?days=30`, a plain link, so the toggle works without JavaScript), who you are, and
//! where to go next. The figures come from `entity::calls::stats` (the same as GraphQL's
//! `callStats`); the charts are server-drawn SVG ([`super::charts`]) with the same
//! figures in tables.

use entity::calls::history::duration_label;
use entity::calls::stats::{percent_label, CallStats, WaitStat, PERIODS};
use entity::types::Me;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::charts::{CallsPerDayChart, MissedHeatGrid};
use super::use_account;
use crate::api::{call_stats, setup_progress};
use crate::ui::{role_label, Column, DataTable, ErrorPanel, Loading, RoleBadge, Row};

/// The overview page.
#[component]
pub fn Overview() -> impl IntoView {
    let account = use_account();
    let query = use_query_map();
    let days = Memo::new(move |_| {
        query.with(|q| {
            q.get("days")
                .and_then(|d| d.parse::<u32>().ok())
                .filter(|d| PERIODS.contains(d))
                .unwrap_or(PERIODS[0])
        })
    });
    let stats = Resource::new(move || days.get(), |d| call_stats(Some(i64::from(d))));
    view! {
        <Title text="Overview" />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match account.me.await {
                    Ok(me) => Either::Left(view! { <OverviewBody me /> }),
                    Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
        <section class="card report" aria-labelledby="report-title" id="call-report">
            <div class="report-header">
                <h2 id="report-title">"Your calls"</h2>
                <nav class="period-toggle" aria-label="Period">
                    {PERIODS
                        .iter()
                        .map(|d| {
                            let d = *d;
                            view! {
                                <a
                                    href=format!("/app?days={d}")
                                    class="btn btn-small"
                                    id=format!("period-{d}")
                                    aria-current=move || (days.get() == d).then_some("page")
                                >
                                    {format!("Last {d} days")}
                                </a>
                            }
                        })
                        .collect_view()}
                </nav>
            </div>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match stats.await {
                        Ok(stats) => Either::Left(view! { <Report stats /> }),
                        Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A wait for people, or a dash.
fn wait(ms: Option<i64>) -> String {
    ms.map_or_else(|| "\u{2014}".to_owned(), duration_label)
}

const WAIT_COLUMNS: [Column; 5] = [
    Column::new("").class("wrap"),
    Column::new("Calls").class("num"),
    Column::new("Answered").class("num"),
    Column::new("Median wait").class("num"),
    Column::new("90% waited at most").class("num"),
];

/// The wait per intent or per domain, as a table.
#[component]
fn WaitTable(id: &'static str, heading: &'static str, list: Vec<WaitStat>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! { <p class="muted" id=id>"No calls in this period."</p> });
    }
    let mut columns = WAIT_COLUMNS.to_vec();
    columns[0] = Column::new(heading).class("wrap");
    let rows = list
        .into_iter()
        .map(|w| {
            Row::new(vec![
                w.label.clone().into_any(),
                w.calls.to_string().into_any(),
                w.answered.to_string().into_any(),
                wait(w.median_ms).into_any(),
                wait(w.p90_ms).into_any(),
            ])
        })
        .collect();
    Either::Right(
        view! { <DataTable id columns rows caption=format!("Wait per {}", heading.to_lowercase()) /> },
    )
}

const DAY_COLUMNS: [Column; 6] = [
    Column::new("Day"),
    Column::new("Answered").class("num"),
    Column::new("Missed").class("num"),
    Column::new("Caller gave up").class("num"),
    Column::new("Nobody available").class("num"),
    Column::new("Ringing").class("num"),
];

/// The figures of the period: the headline numbers, the charts and their tables.
#[component]
fn Report(stats: CallStats) -> impl IntoView {
    let zone = stats.time_zone.clone();
    let zone_note = if zone == "UTC" {
        "Days and hours are in UTC (set opening hours in Schedules to count in your time zone)."
            .to_owned()
    } else {
        format!("Days and hours are in {zone}, the time zone of your opening hours.")
    };
    let period = format!(
        "{} to {}",
        stats.first_day.format("%b %-d"),
        stats.last_day.format("%b %-d, %Y")
    );
    let chart_title = format!("Calls per day by outcome, {period}");
    let heat_title = format!("Missed calls by hour of the week, {period} ({zone})");
    let day_rows = stats
        .per_day
        .iter()
        .map(|d| {
            Row::new(vec![
                d.day.format("%a %b %-d").to_string().into_any(),
                d.answered.to_string().into_any(),
                d.missed.to_string().into_any(),
                d.cancelled.to_string().into_any(),
                d.unavailable.to_string().into_any(),
                d.ongoing.to_string().into_any(),
            ])
        })
        .collect();
    view! {
        <p class="muted small" id="report-zone">{zone_note}</p>
        {stats.truncated.then(|| view! {
            <p class="muted small">"More calls than one report reads: the figures cover the newest 100 000."</p>
        })}
        <dl class="report-figures">
            <div>
                <dt>"Calls"</dt>
                <dd id="figure-total">{stats.total.to_string()}</dd>
            </div>
            <div>
                <dt>"Answer rate"</dt>
                <dd id="figure-answer-rate">{percent_label(stats.answer_rate)}</dd>
            </div>
            <div>
                <dt>"Median wait"</dt>
                <dd id="figure-median-wait">{wait(stats.median_wait_ms)}</dd>
            </div>
            <div>
                <dt>"90% waited at most"</dt>
                <dd id="figure-p90-wait">{wait(stats.p90_wait_ms)}</dd>
            </div>
        </dl>
        <p class="muted small">"The answer rate counts calls that are over; ringing calls are left out."</p>
        <h3>"Calls per day"</h3>
        <CallsPerDayChart days=stats.per_day.clone() title=chart_title />
        <details class="report-table">
            <summary>"Calls per day as a table"</summary>
            <DataTable id="calls-per-day-table" columns=DAY_COLUMNS.to_vec() rows=day_rows caption="Calls per day by outcome" />
        </details>
        <h3>"Missed calls by hour of the week"</h3>
        <MissedHeatGrid grid=stats.missed_by_hour.clone() title=heat_title />
        <div class="report-waits">
            <div>
                <h3>"Wait per intent"</h3>
                <WaitTable id="wait-by-intent" heading="Intent" list=stats.wait_by_intent />
            </div>
            <div>
                <h3>"Wait per domain"</h3>
                <WaitTable id="wait-by-domain" heading="Domain" list=stats.wait_by_domain />
            </div>
        </div>
        <p><a href="/app/calls">"See every call"</a></p>
    }
}

/// One step of the checklist: a tick (or its number) and what to do.
#[component]
fn ChecklistStep(done: bool, id: &'static str, children: Children) -> impl IntoView {
    view! {
        <li id=id data-done=if done { "true" } else { "false" } class:done=done>
            <span class="step-mark" aria-hidden="true">{if done { "✓" } else { "" }}</span>
            <span class="step-text">
                {children()}
                {done.then(|| view! { <span class="visually-hidden">" (done)"</span> })}
            </span>
        </li>
    }
}

/// The owner's "getting your call page live", ticking as each step is done.
#[component]
fn GettingLive() -> impl IntoView {
    let progress = Resource::new(|| (), |()| setup_progress());
    view! {
        <section class="card" aria-labelledby="next-title" id="getting-live">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let p = match progress.await {
                        Ok(p) => p,
                        Err(error) => return Either::Right(view! { <ErrorPanel error /> }),
                    };
                    let [domain, routing, team, hours] = p.steps().map(|(_, done)| done);
                    let done = p.done();
                    Either::Left(view! {
                        <h2 id="next-title">"Getting your call page live"</h2>
                        <p class="muted small" id="getting-live-count">{format!("{done} of 4 done")}</p>
                        <ol class="checklist ticks">
                            <ChecklistStep done=domain id="step-domain">
                                <A href="/app/domains">"Add your domain"</A>
                                " and verify it, so callers can reach you at yourdomain.com/call."
                            </ChecklistStep>
                            <ChecklistStep done=routing id="step-routing">
                                <A href="/app/intents">"Set up intents"</A>
                                " and "
                                <A href="/app/teams">"teams with people in them"</A>
                                " so each call reaches the right people."
                            </ChecklistStep>
                            <ChecklistStep done=team id="step-team">
                                <A href="/app/members">"Invite your team"</A>
                                " — agents answer calls, admins help you run the business."
                            </ChecklistStep>
                            <ChecklistStep done=hours id="step-hours">
                                <A href="/app/schedules">"Set your opening hours"</A>
                                ", so callers outside them are told when you open."
                            </ChecklistStep>
                        </ol>
                    })
                })}
            </Transition>
        </section>
    }
}

/// An agent's own view: being reachable, and the calls nobody answered.
#[component]
fn AgentDay() -> impl IntoView {
    let progress = Resource::new(|| (), |()| setup_progress());
    view! {
        <section class="card" aria-labelledby="day-title" id="agent-day">
            <h2 id="day-title">"Your day"</h2>
            <ul class="checklist">
                <li>
                    "Keep your status "<strong>"Available"</strong>
                    " in the phone (bottom right) to take calls; set "<em>"Away"</em>" for a break."
                </li>
                <li>
                    <Transition fallback=Loading>
                        {move || Suspend::new(async move {
                            let missed = progress.await.map(|p| p.missed_this_week).unwrap_or(0);
                            view! {
                                <span id="agent-missed">
                                    {match missed {
                                        0 => "No missed calls in the last 7 days.".to_owned(),
                                        1 => "1 call nobody answered in the last 7 days: ".to_owned(),
                                        n => format!("{n} calls nobody answered in the last 7 days: "),
                                    }}
                                    {(missed > 0)
                                        .then(|| view! { <A href="/app/calls?outcome=missed">"see them"</A> })}
                                </span>
                            }
                        })}
                    </Transition>
                </li>
                <li>
                    <A href="/app/callbacks">"Callbacks"</A>
                    " waiting for someone to call back."
                </li>
            </ul>
        </section>
    }
}

#[component]
fn OverviewBody(me: Me) -> impl IntoView {
    let manager = me.business.role.can_manage();
    let role = me.business.role;
    view! {
        <header class="page-header">
            <p class="eyebrow">"Overview"</p>
            <h1 id="greeting">"Hello, " {me.name().to_owned()}</h1>
            <p class="lead">
                "You are working in " <strong id="overview-business">{me.business.name.clone()}</strong>
                " as " <RoleBadge role /> "."
            </p>
        </header>
        {if manager {
            Either::Left(view! { <GettingLive /> })
        } else {
            Either::Right(view! { <AgentDay /> })
        }}
        <section aria-labelledby="links-title">
            <h2 id="links-title" class="section-title">"Quick links"</h2>
            <div class="tile-grid">
                <A href="/app/members" attr:class="tile">
                    <span class="tile-title">"Members"</span>
                    <span class="tile-text">
                        {if manager { "Invite people and manage roles." } else { "See who is on the team." }}
                    </span>
                </A>
                {manager
                    .then(|| {
                        view! {
                            <A href="/app/api-keys" attr:class="tile">
                                <span class="tile-title">"API keys"</span>
                                <span class="tile-text">"Connect your own software to the GraphQL API."</span>
                            </A>
                        }
                    })}
                <A href="/app/settings" attr:class="tile">
                    <span class="tile-title">"Settings"</span>
                    <span class="tile-text">"Change your password or create another business."</span>
                </A>
                <A href="/app/calls" attr:class="tile">
                    <span class="tile-title">"Calls"</span>
                    <span class="tile-text">"Every call with its wait time, outcome and notes."</span>
                </A>
            </div>
        </section>
        <p class="muted small">
            "Signed in as " {me.email} " · " {role_label(role)} " of " {me.business.name}
            {(me.businesses.len() > 1)
                .then(|| format!(" · member of {} businesses", me.businesses.len()))}
        </p>
    }
}
