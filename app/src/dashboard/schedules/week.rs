//! The weekly grid: one row per day with its intervals (typed as `09:00-12:00, 13:00-17:00`;
//! `22:00-02:00` runs past midnight) and a 24-hour bar of the saved hours, plus the time
//! zone. For a team: its own hours, or the business's until it gets its own.

use entity::schedules::{DayHours, ScheduleView, WEEKDAYS, WEEKDAY_KEYS};
use leptos::form::ActionForm;
use leptos::prelude::*;

use super::Actions;
use crate::ui::{action_error, ErrorSummary, FieldMessage};

/// A day's intervals as `(start, minutes)` in minutes after midnight.
fn spans(day: &str) -> Vec<(u16, u16)> {
    DayHours::parse("day", day)
        .map(|d| {
            d.intervals()
                .iter()
                .map(|i| (i.start(), i.minutes()))
                .collect()
        })
        .unwrap_or_default()
}

/// A day's 24-hour bar: its openings, and the previous day's overnight spill.
#[component]
fn DayBar(day: String, previous: String, label: String) -> impl IntoView {
    let own = spans(&day).into_iter().map(|(start, minutes)| {
        let width = minutes.min(1440 - start);
        view! { <rect class="bar-open" x=start.to_string() y="0" width=width.to_string() height="12" /> }
    });
    let spill = spans(&previous)
        .into_iter()
        .filter(|(start, minutes)| start + minutes > 1440)
        .map(|(start, minutes)| {
            let width = start + minutes - 1440;
            view! { <rect class="bar-spill" x="0" y="0" width=width.to_string() height="12" /> }
        });
    let ticks = [360, 720, 1080].map(|x| {
        view! { <rect class="bar-tick" x=x.to_string() y="0" width="2" height="12" /> }
    });
    view! {
        <svg
            class="hours-bar"
            viewBox="0 0 1440 12"
            preserveAspectRatio="none"
            role="img"
            aria-label=label
        >
            <rect class="bar-closed" x="0" y="0" width="1440" height="12" />
            {spill.collect_view()}
            {own.collect_view()}
            {ticks}
        </svg>
    }
}

/// The hours of the business (`team` `None`) or of a team, editable by managers.
#[component]
pub fn HoursCard(
    /// The hours shown (the team's own, or the business's).
    schedule: Option<ScheduleView>,
    /// For a team: the business's hours (what it follows, and the editor's start).
    business: Option<ScheduleView>,
    /// For a team: its id and name.
    team: Option<(String, String)>,
    zones: Vec<String>,
    manage: bool,
    actions: Actions,
) -> impl IntoView {
    let title = match &team {
        Some((_, name)) => format!("Hours of {name}"),
        None => "Business hours".to_owned(),
    };
    let follows = team.is_some() && schedule.is_none();
    let shown = schedule.clone().or_else(|| business.clone());
    let intro = match (&team, &schedule, &business) {
        (Some(_), None, Some(_)) => "This team follows the business's hours (below). Give it hours of its own if it answers at other times; the business's holidays still apply to it unless you give it its own for a date.",
        (Some(_), None, None) => "This team follows the business's hours, and the business has none: calls are taken around the clock.",
        (Some(_), Some(_), _) => "This team has hours of its own. The business's holidays apply to it unless it has its own for that date.",
        (None, None, _) => "No hours are set, so calls are taken around the clock. Set your hours to have callers outside them told when you open.",
        (None, Some(_), _) => "Callers outside these hours are told when you open next, in their own time zone.",
    };
    let rows_source: Vec<String> = shown.as_ref().map(|s| s.days.clone()).unwrap_or_else(|| {
        vec!["09:00-17:00".into(); 5]
            .into_iter()
            .chain(vec![String::new(); 2])
            .collect()
    });
    let labels: Vec<String> = shown
        .as_ref()
        .map(|s| s.labels.clone())
        .unwrap_or_else(|| vec!["Open around the clock".to_owned(); 7]);
    let zone = shown
        .as_ref()
        .map_or_else(|| "Europe/Berlin".to_owned(), |s| s.time_zone.clone());
    let editor = manage.then(|| {
        view! {
            <HoursForm
                days=rows_source.clone()
                zone=zone.clone()
                zones=zones.clone()
                team_id=team.as_ref().map(|(id, _)| id.clone())
                submit=if follows {
                    format!("Give {} its own hours", team.as_ref().map_or("", |(_, n)| n.as_str()))
                } else {
                    "Save hours".to_owned()
                }
                actions
            />
        }
    });
    let read_only = (!manage).then(|| {
        let rows = WEEKDAYS
            .iter()
            .enumerate()
            .map(|(i, day)| {
                let previous = rows_source[(i + 6) % 7].clone();
                view! {
                    <tr>
                        <th scope="row">{*day}</th>
                        <td>{labels[i].clone()}</td>
                        <td class="bar-cell">
                            <DayBar day=rows_source[i].clone() previous label=format!("{day}: {}", labels[i]) />
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="muted small">{format!("Times in {zone}. Only owners and admins change hours.")}</p>
            <div class="table-wrap">
                <table class="table hours-table" id="hours-table">
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    let follow_again = (manage && team.is_some() && schedule.is_some()).then(|| {
        let (id, name) = team.clone().unwrap_or_default();
        view! {
            <ActionForm action=actions.clear attr:class="inline">
                <input type="hidden" name="team_id" value=id />
                <button type="submit" class="btn btn-small" id="follow-business-hours">
                    {format!("Let {name} follow the business's hours")}
                </button>
            </ActionForm>
        }
    });
    view! {
        <section class="card" aria-labelledby="hours-title" id="hours-card">
            <h2 id="hours-title">{title}</h2>
            <p class="muted">{intro}</p>
            {editor}
            {read_only}
            {follow_again}
        </section>
    }
}

/// The editor: time zone and seven days.
#[component]
fn HoursForm(
    days: Vec<String>,
    zone: String,
    zones: Vec<String>,
    team_id: Option<String>,
    submit: String,
    actions: Actions,
) -> impl IntoView {
    let error = action_error(actions.hours);
    let field = move |f: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(f)));
    let zone_error = field("time_zone");
    let options = zones
        .into_iter()
        .map(|z| view! { <option value=z></option> })
        .collect_view();
    let rows = WEEKDAYS
        .iter()
        .zip(WEEKDAY_KEYS)
        .enumerate()
        .map(|(i, (day, key))| {
            let id = format!("hours-{key}");
            let err_id = format!("hours-{key}-error");
            let message = field(key);
            let previous = days[(i + 6) % 7].clone();
            view! {
                <tr class:has-error=move || message.get().is_some()>
                    <th scope="row">
                        <label for=id.clone()>{*day}</label>
                    </th>
                    <td>
                        <input
                            id=id
                            name=key
                            type="text"
                            class="hours-input"
                            autocomplete="off"
                            placeholder="Closed"
                            value=days[i].clone()
                            aria-describedby=err_id.clone()
                            aria-invalid=move || if message.get().is_some() { "true" } else { "false" }
                        />
                        <FieldMessage id=err_id message=message />
                    </td>
                    <td class="bar-cell">
                        <DayBar day=days[i].clone() previous label=format!("{day} as saved") />
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=actions.hours attr:class="form hours-form" attr:novalidate=true>
            <ErrorSummary
                error
                fields=&[
                    ("time_zone", "hours-zone"),
                    ("mon", "hours-mon"),
                    ("tue", "hours-tue"),
                    ("wed", "hours-wed"),
                    ("thu", "hours-thu"),
                    ("fri", "hours-fri"),
                    ("sat", "hours-sat"),
                    ("sun", "hours-sun"),
                ]
            />
            <input type="hidden" name="team_id" value=team_id.unwrap_or_default() />
            <div class="field" class:has-error=move || zone_error.get().is_some()>
                <label for="hours-zone">"Time zone"</label>
                <p class="field-hint" id="hours-zone-hint">
                    "The zone your hours are in, e.g. Europe/Berlin. Dates and holidays are in it too."
                </p>
                <input
                    id="hours-zone"
                    name="time_zone"
                    type="text"
                    list="time-zones"
                    autocomplete="off"
                    value=zone
                    aria-describedby="hours-zone-hint hours-zone-error"
                    aria-invalid=move || if zone_error.get().is_some() { "true" } else { "false" }
                />
                <datalist id="time-zones">{options}</datalist>
                <FieldMessage id="hours-zone-error" message=zone_error />
            </div>
            <p class="field-hint">
                "Each day: intervals like 09:00-12:00, 13:00-17:00. 22:00-02:00 runs past midnight; 00:00-24:00 is the whole day; empty is closed."
            </p>
            <div class="table-wrap">
                <table class="table hours-table" id="hours-grid">
                    <thead>
                        <tr>
                            <th scope="col">"Day"</th>
                            <th scope="col">"Open"</th>
                            <th scope="col" class="bar-cell">"00 · 06 · 12 · 18 · 24"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <button type="submit" class="btn btn-primary" id="save-hours">
                {submit}
            </button>
        </ActionForm>
    }
}
