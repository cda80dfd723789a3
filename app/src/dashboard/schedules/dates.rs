//! Date overrides of the schedule being edited: closed days (holidays) and special hours,
//! added one by one, pasted as a list, or imported from a calendar file (`.ics`, read in
//! the browser into the same text box — without JavaScript, paste its text).

use entity::schedules::ScheduleView;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;

use super::Actions;
use crate::ui::{action_error, ErrorSummary, FieldMessage, SuccessAlert};

/// The date overrides card.
#[component]
pub fn DatesCard(
    /// The schedule (`None`: no hours yet, so no dates either).
    schedule: Option<ScheduleView>,
    /// The team edited (`None`: the business).
    team: Option<String>,
    manage: bool,
    actions: Actions,
) -> impl IntoView {
    let remove_error = action_error(actions.remove_date);
    let body = match schedule {
        None => Either::Left(view! {
            <p class="muted" id="dates-need-hours">
                {if team.is_some() {
                    "Give this team its own hours to give it its own dates; until then the business's holidays apply to it."
                } else {
                    "Set your opening hours first: dates are days in your time zone."
                }}
            </p>
        }),
        Some(s) => {
            let zone = s.time_zone.clone();
            let empty = s.overrides.is_empty();
            let rows = s
                .overrides
                .into_iter()
                .map(|o| {
                    let remove = manage.then(|| {
                        view! {
                            <ActionForm action=actions.remove_date attr:class="inline">
                                <input type="hidden" name="id" value=o.id.to_string() />
                                <button
                                    type="submit"
                                    class="btn btn-ghost btn-small"
                                    aria-label=format!("Remove {}", o.date)
                                >
                                    "Remove"
                                </button>
                            </ActionForm>
                        }
                    });
                    view! {
                        <tr data-date=o.date.to_string()>
                            <td>{o.date.format("%a %Y-%m-%d").to_string()}</td>
                            <td>{o.name.clone()}</td>
                            <td>
                                {if o.closed {
                                    Either::Left(view! { <span class="badge badge-muted">"Closed"</span> })
                                } else {
                                    Either::Right(view! { <span>{o.label.clone()}</span> })
                                }}
                            </td>
                            <td class="actions">{remove}</td>
                        </tr>
                    }
                })
                .collect_view();
            let list = if empty {
                Either::Left(
                    view! { <p class="muted" id="dates-empty">"No holidays or special days ahead."</p> },
                )
            } else {
                Either::Right(view! {
                    <div class="table-wrap">
                        <table class="table" id="dates-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Date"</th>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Hours"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                })
            };
            let forms = manage.then(|| {
                view! {
                    <AddDate team=team.clone() actions />
                    <ImportDates team=team.clone() actions />
                }
            });
            Either::Right(view! {
                <p class="muted small">{format!("Dates in {zone}. A date's hours replace its weekday's; a night that starts the day before is not cut short.")}</p>
                <ErrorSummary error=remove_error />
                {list}
                {forms}
            })
        }
    };
    view! {
        <section class="card" aria-labelledby="dates-title" id="dates-card">
            <h2 id="dates-title">"Holidays and special days"</h2>
            {body}
        </section>
    }
}

/// One date: closed, or special hours.
#[component]
fn AddDate(team: Option<String>, actions: Actions) -> impl IntoView {
    let error = action_error(actions.set_date);
    let field = move |f: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(f)));
    let (date_error, hours_error) = (field("date"), field("hours"));
    view! {
        <ActionForm action=actions.set_date attr:class="form form-row" attr:novalidate=true>
            <ErrorSummary error fields=&[("date", "date-day"), ("hours", "date-hours"), ("name", "date-name")] />
            <input type="hidden" name="team_id" value=team.unwrap_or_default() />
            <div class="field field-narrow" class:has-error=move || date_error.get().is_some()>
                <label for="date-day">"Date"</label>
                <input
                    id="date-day"
                    name="date"
                    type="date"
                    aria-describedby="date-day-error"
                    aria-invalid=move || if date_error.get().is_some() { "true" } else { "false" }
                />
                <FieldMessage id="date-day-error" message=date_error />
            </div>
            <div class="field" class:has-error=move || hours_error.get().is_some()>
                <label for="date-hours">"Hours"</label>
                <input
                    id="date-hours"
                    name="hours"
                    type="text"
                    placeholder="Closed"
                    autocomplete="off"
                    aria-describedby="date-hours-error"
                    aria-invalid=move || if hours_error.get().is_some() { "true" } else { "false" }
                />
                <FieldMessage id="date-hours-error" message=hours_error />
            </div>
            <div class="field">
                <label for="date-name">"Name"</label>
                <input id="date-name" name="name" type="text" placeholder="Christmas Day" autocomplete="off" />
            </div>
            <div class="field field-action">
                <button type="submit" class="btn btn-primary" id="add-date">
                    "Add date"
                </button>
            </div>
        </ActionForm>
    }
}

/// A pasted list or a calendar file.
#[component]
fn ImportDates(team: Option<String>, actions: Actions) -> impl IntoView {
    let error = action_error(actions.import);
    let message = Signal::derive(move || error.get().and_then(|e| e.field("holidays")));
    let text = NodeRef::<html::Textarea>::new();
    let done = move || {
        actions.import.value().get().and_then(Result::ok).map(|v| {
            let mut said = format!(
                "Imported: {} new closed days, {} replaced.",
                v.added, v.replaced
            );
            if v.skipped_timed > 0 {
                said.push_str(&format!(
                    " {} events with a time of day were left out.",
                    v.skipped_timed
                ));
            }
            if v.recurring > 0 {
                said.push_str(&format!(
                    " {} repeating events: only their first day was taken.",
                    v.recurring
                ));
            }
            view! { <SuccessAlert>{said}</SuccessAlert> }
        })
    };
    view! {
        <ActionForm action=actions.import attr:class="form" attr:novalidate=true>
            <h3 class="section-title">"Import holidays"</h3>
            <ErrorSummary error fields=&[("holidays", "holidays-text")] />
            {done}
            <input type="hidden" name="team_id" value=team.unwrap_or_default() />
            <div class="field" class:has-error=move || message.get().is_some()>
                <label for="holidays-text">"Closed days"</label>
                <p class="field-hint" id="holidays-hint">
                    "One per line, like 2025-12-25 Christmas Day — or the text of a calendar (.ics) file. Each becomes a closed day."
                </p>
                <textarea
                    id="holidays-text"
                    name="text"
                    rows="5"
                    node_ref=text
                    aria-describedby="holidays-hint holidays-error"
                    aria-invalid=move || if message.get().is_some() { "true" } else { "false" }
                ></textarea>
                <FieldMessage id="holidays-error" message=message />
            </div>
            <IcsPicker text />
            <button type="submit" class="btn" id="import-holidays">
                "Import"
            </button>
        </ActionForm>
    }
}

/// A file input that reads an `.ics` file into the text box (hydrated pages only).
#[component]
fn IcsPicker(text: NodeRef<html::Textarea>) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            if let Some(file) = file {
                leptos::task::spawn_local(async move {
                    let read = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                    if let (Ok(content), Some(area)) = (read, text.get_untracked()) {
                        area.set_value(&content.as_string().unwrap_or_default());
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, text);
    };
    view! {
        <div class="field">
            <label for="holidays-file">"…or read a calendar file"</label>
            <input id="holidays-file" type="file" accept=".ics,text/calendar" on:change=on_change />
        </div>
    }
}
