//! The week view of `/app/callbacks` (`?view=week&week=YYYY-MM-DD`, FIG. 14): the booked
//! callbacks of one week, a column a day, in the business's time zone, with links to the
//! weeks before and after. Plain links, so it works before the page hydrates.

use entity::callbacks::slots::{WeekDay, WeekView};
use entity::callbacks::CallbackStatus;
use leptos::prelude::*;

use crate::api::callback_week;
use crate::ui::{EmptyState, Loaded};

/// The week of `week` (a date in it; none: this week).
#[component]
pub fn CallbackWeek(week: Memo<Option<String>>) -> impl IntoView {
    let view_of = Resource::new(move || week.get(), callback_week);
    view! {
        <Loaded resource=view_of view=move |w: WeekView| view! { <Week week=w /> } />
    }
}

fn day_view(day: WeekDay) -> impl IntoView {
    let label = day.date.format("%a %-d %b").to_string();
    let empty = day.entries.is_empty();
    view! {
        <li class="week-day" data-date=day.date.to_string()>
            <h3 class="week-date">{label}</h3>
            {empty.then(|| view! { <p class="muted small">"Nothing booked"</p> })}
            <ul class="week-entries">
                {day
                    .entries
                    .into_iter()
                    .map(|e| {
                        let done = !e.status.is_open();
                        view! {
                            <li class="week-entry" class:week-entry-closed=done>
                                <span class="week-time">{e.time}</span>
                                " "
                                <strong>{e.who}</strong>
                                {e.intent_label.map(|l| view! { <br /> <span class="muted small">{l}</span> })}
                                {(e.status != CallbackStatus::Scheduled)
                                    .then(|| view! { <br /> <span class="small">{e.status.label()}</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </li>
    }
}

#[component]
fn Week(week: WeekView) -> impl IntoView {
    let previous = week.start - chrono::Days::new(7);
    let next = week.start + chrono::Days::new(7);
    let title = format!("Week of {} ({})", week.start.format("%-d %b %Y"), week.zone);
    let empty = week.days.iter().all(|d| d.entries.is_empty());
    view! {
        <div class="week-nav">
            <a class="btn btn-small" href=format!("/app/callbacks?view=week&week={previous}")>
                "\u{2190} Previous week"
            </a>
            <h2 class="week-title" id="week-title">{title}</h2>
            <a class="btn btn-small" href=format!("/app/callbacks?view=week&week={next}")>
                "Next week \u{2192}"
            </a>
        </div>
        {empty
            .then(|| {
                view! {
                    <EmptyState id="week-empty">
                        "No callbacks booked this week. When callers book a time, it shows here."
                    </EmptyState>
                }
            })}
        <ol class="week-grid" id="callback-week" aria-labelledby="week-title">
            {week.days.into_iter().map(day_view).collect_view()}
        </ol>
    }
}
