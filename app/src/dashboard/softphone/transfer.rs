//! Handing the call in progress over: to a team (whoever of it is free answers) or to one
//! colleague. The select's option values say the kind (`team:<id>`, `member:<id>`, see
//! [`RingTarget::choice`]) so that the hub is never asked to guess it from an id; the
//! availability shown is the presence the hub broadcasts, and what nobody could answer is
//! offered disabled.

use std::collections::HashMap;

use entity::calls::wire::{PresenceStatus, RingTarget};
use leptos::prelude::*;
use uuid::Uuid;

use super::{AgentPhone, AgentUi};

/// One entry of the "Transfer to" select.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Choice {
    to: RingTarget,
    label: String,
    /// Somebody there could take the call now.
    open: bool,
}

/// The teams, then the colleagues, this member could hand the call to.
fn choices(ui: AgentUi) -> (Vec<Choice>, Vec<Choice>) {
    let me = ui.me.get();
    let presence = ui.presence.get();
    let free = |id: Uuid| Some(id) != me && status(&presence, id) == PresenceStatus::Available;
    let teams = ui.teams.with(|teams| {
        teams
            .iter()
            .map(|t| {
                let available = t.members.iter().filter(|m| free(m.user_id)).count();
                let label = match available {
                    0 => format!("{} (nobody available)", t.name),
                    n => format!("{} ({n} available)", t.name),
                };
                Choice {
                    to: RingTarget::Team(t.id),
                    label,
                    open: available > 0,
                }
            })
            .collect()
    });
    let colleagues = ui.members.with(|members| {
        members
            .iter()
            .filter_map(|m| {
                let id = Uuid::parse_str(&m.user_id)
                    .ok()
                    .filter(|&id| Some(id) != me)?;
                let status = status(&presence, id);
                Some(Choice {
                    to: RingTarget::Member(id),
                    label: format!("{} ({})", m.email, status_word(status)),
                    open: status == PresenceStatus::Available,
                })
            })
            .collect()
    });
    (teams, colleagues)
}

fn status(presence: &HashMap<Uuid, PresenceStatus>, id: Uuid) -> PresenceStatus {
    presence
        .get(&id)
        .copied()
        .unwrap_or(PresenceStatus::Offline)
}

fn status_word(status: PresenceStatus) -> &'static str {
    match status {
        PresenceStatus::Offline => "offline",
        PresenceStatus::Available => "available",
        PresenceStatus::Away => "away",
        PresenceStatus::Busy => "busy",
    }
}

/// Transfer the call to a team or a colleague.
#[component]
pub(super) fn Transfer(phone: AgentPhone) -> impl IntoView {
    let ui = phone.ui;
    let chosen = RwSignal::new(None::<RingTarget>);
    let options = Memo::new(move |_| choices(ui));
    // Only what is listed and open now can be sent (presence moves while the form is open).
    let ready = move || {
        let to = chosen.get()?;
        options.with(|(teams, colleagues)| {
            teams
                .iter()
                .chain(colleagues)
                .any(|c| c.to == to && c.open)
                .then_some(to)
        })
    };
    let option = move |c: Choice| {
        view! {
            <option
                value=c.to.choice()
                disabled=!c.open
                selected=move || chosen.get() == Some(c.to)
            >
                {c.label}
            </option>
        }
    };
    let group = move |label: &'static str, list: Vec<Choice>| {
        (!list.is_empty()).then(|| {
            view! { <optgroup label=label>{list.into_iter().map(option).collect_view()}</optgroup> }
        })
    };
    view! {
        <Show when=move || options.with(|(t, c)| !t.is_empty() || !c.is_empty())>
            <form
                class="transfer form-row"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    if let Some(to) = ready() {
                        phone.transfer(to);
                    }
                }
            >
                <label for="transfer-to">"Transfer to"</label>
                <select
                    id="transfer-to"
                    on:change=move |ev| chosen.set(RingTarget::parse_choice(&event_target_value(&ev)))
                >
                    <option value="" selected=move || chosen.get().is_none()>
                        "Choose a team or colleague"
                    </option>
                    {move || {
                        let (teams, colleagues) = options.get();
                        view! { {group("Teams", teams)} {group("Colleagues", colleagues)} }
                    }}
                </select>
                <button
                    type="submit"
                    class="btn btn-secondary"
                    id="call-transfer"
                    disabled=move || ui.transfer.with(Option::is_some) || ready().is_none()
                >
                    {move || if ui.transfer.with(Option::is_some) { "Ringing…" } else { "Transfer" }}
                </button>
            </form>
        </Show>
    }
}
