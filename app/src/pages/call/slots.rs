//! "Call me back at…": the caller picks a date and one of the free times the business
//! offers, shown in the caller's own time zone (read from the browser). The times are
//! radio inputs named `slot` inside the callback form, so booking is the same form post
//! as asking to be called back as soon as possible.

use leptos::prelude::*;

use crate::api::callback_slots;

/// The date picker and the free times of the chosen date.
#[component]
pub fn SlotPicker(
    /// The business's call page domain.
    domain: StoredValue<String>,
    /// The chosen intent (its team's hours decide the times).
    intent: RwSignal<Option<String>>,
) -> impl IntoView {
    let date = RwSignal::new(None::<String>);
    let zone = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| zone.set(super::hours::caller_zone()));
    let day = Resource::new(
        move || (intent.get(), date.get(), zone.get()),
        move |(intent, date, zone)| callback_slots(domain.get_value(), intent, date, zone),
    );
    view! {
        <div class="slot-picker" id="callback-slots">
            <input type="hidden" name="zone" prop:value=move || zone.get().unwrap_or_default() />
            <Transition fallback=|| view! { <p class="muted small">"Finding free times…"</p> }>
                {move || {
                    day.get()
                        .map(|answer| match answer {
                            Err(e) => {
                                view! { <p class="field-error" role="alert">{e.to_string()}</p> }
                                    .into_any()
                            }
                            Ok(day) if day.dates.is_empty() => {
                                view! {
                                    <p class="muted" id="callback-no-slots">
                                        "There are no free times to book right now. Ask to be called back as soon as possible instead."
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(day) => {
                                let first = day.dates.first().map(ToString::to_string).unwrap_or_default();
                                let last = day.dates.last().map(ToString::to_string).unwrap_or_default();
                                let chosen = day.date.to_string();
                                let zone_name = day.zone.clone();
                                let times = day
                                    .slots
                                    .iter()
                                    .map(|s| {
                                        let value = s.start.to_rfc3339();
                                        view! {
                                            <label class="slot">
                                                <input type="radio" name="slot" value=value required=true />
                                                <span>{s.label.clone()}</span>
                                            </label>
                                        }
                                    })
                                    .collect_view();
                                let empty = day.slots.is_empty();
                                let next: Vec<String> = day
                                    .dates
                                    .iter()
                                    .take(5)
                                    .map(ToString::to_string)
                                    .collect();
                                view! {
                                    <div class="field">
                                    <label for="callback-date">"Day"</label>
                                    <input
                                        type="date"
                                        id="callback-date"
                                        min=first
                                        max=last
                                        prop:value=chosen
                                        on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            date.set((!v.is_empty()).then_some(v));
                                        }
                                    />
                                    </div>
                                    <fieldset class="slot-times" id="callback-times">
                                        <legend>"Time (" {zone_name} ")"</legend>
                                        {times}
                                        {empty
                                            .then(|| {
                                                view! {
                                                    <p class="muted small" id="callback-day-full">
                                                        "No free times that day. Free days: "
                                                        {next
                                                            .into_iter()
                                                            .map(|d| {
                                                                let pick = d.clone();
                                                                view! {
                                                                    <button
                                                                        type="button"
                                                                        class="btn btn-small btn-link"
                                                                        on:click=move |_| date.set(Some(pick.clone()))
                                                                    >
                                                                        {d}
                                                                    </button>
                                                                }
                                                            })
                                                            .collect_view()}
                                                    </p>
                                                }
                                            })}
                                    </fieldset>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </div>
    }
}
