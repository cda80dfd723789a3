//! Out-of-office switches: the business's (owners and admins), and each member's (the
//! member themselves; owners and admins anyone's). Each has the message callers hear and
//! an optional end, after which it no longer applies — nobody has to switch it off.

use entity::schedules::{OutOfOfficeView, MAX_OUT_OF_OFFICE_MESSAGE};
use leptos::form::ActionForm;
use leptos::prelude::*;

use super::Actions;
use crate::ui::{action_error, ErrorSummary};

/// The out-of-office card.
#[component]
pub fn AwayCard(
    business: OutOfOfficeView,
    members: Vec<OutOfOfficeView>,
    manage: bool,
    /// The signed-in user's id.
    me: Option<String>,
    actions: Actions,
) -> impl IntoView {
    let error = action_error(actions.away);
    let mine = |o: &OutOfOfficeView| {
        o.user_id
            .is_some_and(|u| me.as_deref() == Some(u.to_string().as_str()))
    };
    let rows = members
        .iter()
        .map(|m| {
            let editable = manage || mine(m);
            let who = if mine(m) {
                format!("{} (you)", m.email.clone().unwrap_or_default())
            } else {
                m.email.clone().unwrap_or_default()
            };
            view! { <Switch o=m.clone() who editable actions /> }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="away-title" id="away-card">
            <h2 id="away-title">"Out of office"</h2>
            <p class="muted">
                "While the business is out of office, callers hear its message instead of ringing anyone, whatever the hours. A member out of office is never rung. With an end set, it turns itself off then."
            </p>
            <ErrorSummary error />
            <ul class="away-list">
                <Switch o=business who="The whole business".to_owned() editable=manage actions />
                {rows}
            </ul>
        </section>
    }
}

/// One switch: on or off, message, until.
#[component]
fn Switch(o: OutOfOfficeView, who: String, editable: bool, actions: Actions) -> impl IntoView {
    let key = o
        .user_id
        .map_or_else(|| "business".to_owned(), |u| u.to_string());
    let save_id = format!("away-{key}-save");
    let (check_id, message_id, until_id) = (
        format!("away-{key}-on"),
        format!("away-{key}-message"),
        format!("away-{key}-until"),
    );
    let state = if o.active {
        "Out of office"
    } else if o.enabled {
        "Ended"
    } else {
        "In office"
    };
    let badge = if o.active {
        "badge badge-warning"
    } else {
        "badge badge-success"
    };
    let summary = view! {
        <div class="away-who">
            <strong>{who.clone()}</strong>
            " "
            <span class=badge data-away=if o.active { "on" } else { "off" }>{state}</span>
        </div>
    };
    let body = if editable {
        let form = view! {
            <ActionForm action=actions.away attr:class="form away-form" attr:novalidate=true>
                <input type="hidden" name="user_id" value=o.user_id.map(|u| u.to_string()).unwrap_or_default() />
                <div class="field field-check">
                    <input id=check_id.clone() name="enabled" type="checkbox" value="on" checked=o.active />
                    <label for=check_id>{format!("{who}: out of office")}</label>
                </div>
                <div class="field">
                    <label for=message_id.clone()>"Message for callers"</label>
                    <input
                        id=message_id
                        name="message"
                        type="text"
                        maxlength=MAX_OUT_OF_OFFICE_MESSAGE.to_string()
                        value=o.message.clone()
                        placeholder="We are out of the office right now."
                        autocomplete="off"
                    />
                </div>
                <div class="field field-narrow">
                    <label for=until_id.clone()>"Until (optional)"</label>
                    <input
                        id=until_id
                        name="until"
                        type="datetime-local"
                        value=o.until_local.clone().filter(|_| o.active).unwrap_or_default()
                    />
                </div>
                <div class="field field-action">
                    <button type="submit" class="btn btn-small" id=save_id>
                        "Save"
                    </button>
                </div>
            </ActionForm>
        };
        leptos::either::Either::Left(form)
    } else {
        let detail = o.active.then(|| {
            view! { <p class="muted small">{format!("\u{201c}{}\u{201d}", o.message)}</p> }
        });
        leptos::either::Either::Right(detail)
    };
    view! {
        <li class="away-item" id=format!("away-{key}")>
            {summary}
            {body}
        </li>
    }
}
