//! `/app/contacts/:id`: one contact — the card, the edit form, one timeline of their
//! calls, notes and purchases, a note form, and (owners and admins) merging another
//! contact into this one, picked by search (`?merge_q=…`, a GET form) and confirmed.
//!
//! Everything people typed (names, notes, addresses) is rendered as text, never as markup.

use entity::contacts::{ContactView, TimelineEntry};
use leptos::either::{Either, EitherOf4};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{client_type_badge, client_type_label, money, CLIENT_TYPES, PAGE};
use crate::api::{
    contact, contact_timeline, list_contacts, list_rewards, AddContactNote, ContactList,
    MergeContacts, RedeemReward, RewardLedger, UpdateContact,
};
use crate::dashboard::{ManagersOnly, RewardTotalsView, RewardsTable};
use crate::error::AppError;
use crate::ui::{
    action_error, date_time, reset_on_success, saved, Card, ConfirmAction, EmptyState,
    ErrorSummary, Field, FieldMessage, Loaded, SelectField, SubmitButton, SuccessAlert,
};

/// The edit form's fields: (domain field, input id).
const EDIT_FIELDS: &[(&str, &str)] = &[
    ("name", "contact-name"),
    ("email", "contact-email"),
    ("phone", "contact-phone"),
    ("address", "contact-address"),
    ("tags", "contact-tags"),
    ("client_type", "contact-client-type"),
];

/// The actions of the page, made once.
#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateContact>,
    note: ServerAction<AddContactNote>,
    merge: ServerAction<MergeContacts>,
}

/// The contact page.
#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let merge_q =
        Memo::new(move |_| query.with(|q| q.get("merge_q").filter(|s| !s.trim().is_empty())));
    let actions = Actions {
        update: ServerAction::new(),
        note: ServerAction::new(),
        merge: ServerAction::new(),
    };
    let updated = saved(actions.update);
    let noted = saved(actions.note);
    let merged = saved(actions.merge);
    // A merge reloads the card, and with it the edit form: a refusal of an earlier edit
    // must not come back with it (nor take the focus to its field).
    Effect::new(move |before: Option<usize>| {
        let now = merged.get();
        if before.is_some_and(|b| b != now) {
            actions.update.value().set(None);
        }
        now
    });
    let card = Resource::new(
        move || (id.get(), updated.get(), merged.get()),
        |(id, _, _)| contact(id),
    );
    let timeline = Resource::new(
        move || (id.get(), noted.get(), merged.get()),
        |(id, _, _)| contact_timeline(id),
    );
    let candidates = Resource::new(
        move || (id.get(), merge_q.get(), merged.get()),
        |(id, q, _)| async move {
            match q {
                Some(q) => list_contacts(Some(q), None, None, None)
                    .await
                    .map(|page| Some(without(page, &id))),
                None => Ok(None),
            }
        },
    );
    view! {
        <Loaded
            resource=card
            view={move |c: ContactView| {
                view! {
                    <ContactHeader c=c.clone() />
                    <ContactCard c=c.clone() />
                    <EditCard c actions />
                }
            }}
        />
        <Card title="Timeline" id="contact-timeline-title">
            <NoteForm id actions />
            <Loaded resource=timeline view={|entries: Vec<TimelineEntry>| view! { <Timeline entries /> }} />
        </Card>
        <ContactRewards id merged />
        <ManagersOnly>
            <MergeCard id merge_q candidates actions />
        </ManagersOnly>
    }
}

/// The contact's rewards for waiting, with their totals and "Redeem…".
#[component]
fn ContactRewards(id: Memo<String>, merged: Memo<usize>) -> impl IntoView {
    let redeem = ServerAction::<RedeemReward>::new();
    let ledger = Resource::new(
        move || (id.get(), merged.get(), redeem.version().get()),
        |(id, _, _)| list_rewards(Some(id)),
    );
    let error = action_error(redeem);
    view! {
        <Card title="Rewards" id="contact-rewards-title">
            <ErrorSummary error />
            <Loaded
                resource=ledger
                view=move |l: RewardLedger| {
                    view! {
                        <RewardTotalsView totals=l.totals />
                        <RewardsTable list=l.rewards redeem show_contact=false />
                    }
                }
            />
        </Card>
    }
}

/// The contacts of `page` other than contact `id`.
fn without(page: ContactList, id: &str) -> Vec<ContactView> {
    page.items
        .into_iter()
        .filter(|c| c.id.to_string() != id)
        .collect()
}

/// The page's title block.
#[component]
fn ContactHeader(c: ContactView) -> impl IntoView {
    view! {
        <Title text=c.name.clone() />
        <header class="page-header">
            <div class="page-header-text">
                <p class="muted small">
                    <a href=PAGE>"Contacts"</a>
                </p>
                <h1 id="contact-name-title">{c.name.clone()}</h1>
            </div>
        </header>
    }
}

/// One fact of the card.
#[component]
fn Fact(term: &'static str, value: String, #[prop(optional)] id: &'static str) -> impl IntoView {
    let id = (!id.is_empty()).then_some(id);
    view! {
        <div>
            <dt>{term}</dt>
            <dd id=id>{value}</dd>
        </div>
    }
}

/// The contact's card: who they are and what they did.
#[component]
fn ContactCard(c: ContactView) -> impl IntoView {
    let dash = || "\u{2014}".to_owned();
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(dash);
    let chosen = c.client_type_override.map_or_else(
        || "Set by the rules".to_owned(),
        |t| format!("{} (set by hand)", client_type_label(t)),
    );
    view! {
        <section class="card" id="contact-card" data-contact=c.id.to_string() aria-labelledby="contact-card-title">
            <h2 id="contact-card-title">"Contact card"</h2>
            <dl class="call-facts">
                <Fact term="Name" value=c.name.clone() />
                <Fact term="Email" value=or_dash(&c.email) id="contact-email-value" />
                <Fact term="Phone" value=or_dash(&c.phone) />
                <Fact term="Address" value=or_dash(&c.address) />
                <Fact term="Caller domain" value=or_dash(&c.caller_domain) />
                <div>
                    <dt>"Client type"</dt>
                    <dd id="contact-client-type-value">
                        {client_type_badge(c.client_type)}
                        <span class="muted small">" " {chosen}</span>
                    </dd>
                </div>
                <Fact term="First seen" value=date_time(&c.first_seen_at) />
                <Fact
                    term="Last communication"
                    value=c.last_contact_at.as_ref().map_or_else(|| "Never".to_owned(), date_time)
                />
                <Fact term="Calls" value=c.call_count.to_string() id="contact-call-count" />
                <Fact
                    term="Purchases"
                    value=c.purchase_total.as_ref().map_or_else(dash, |m| money(m.amount_minor, &m.currency))
                />
                <Fact
                    term="Tags"
                    value=if c.tags.is_empty() { dash() } else { c.tags.join(", ") }
                />
            </dl>
        </section>
    }
}

/// The edit form, filled with the contact's fields.
#[component]
fn EditCard(c: ContactView, actions: Actions) -> impl IntoView {
    let update = actions.update;
    let error = action_error(update);
    let done = Signal::derive(move || update.value().with(|v| matches!(v, Some(Ok(_)))));
    let chosen = c.client_type_override;
    let options = move || {
        CLIENT_TYPES
            .iter()
            .map(|(t, label)| {
                let selected = chosen == Some(*t);
                view! { <option value=t.as_str() selected=selected>{*label}</option> }
            })
            .collect_view()
    };
    view! {
        <Card title="Edit" id="edit-contact-title">
            <ActionForm action=update attr:class="form" attr:novalidate=true>
                <ErrorSummary error attempts=update.version() fields=EDIT_FIELDS />
                {move || done.get().then(|| view! { <SuccessAlert>"Saved."</SuccessAlert> })}
                <input type="hidden" name="id" value=c.id.to_string() />
                <Field label="Name" id="contact-name" name="name" field="name" error value=c.name.clone() maxlength=200 />
                <Field
                    label="Email"
                    id="contact-email"
                    name="email"
                    field="email"
                    input_type="email"
                    error
                    value=c.email.clone().unwrap_or_default()
                />
                <Field label="Phone" id="contact-phone" name="phone" field="phone" input_type="tel" error value=c.phone.clone().unwrap_or_default() maxlength=200 />
                <Field label="Address" id="contact-address" name="address" field="address" error value=c.address.clone().unwrap_or_default() maxlength=200 />
                <Field
                    label="Tags"
                    id="contact-tags"
                    name="tags"
                    field="tags"
                    hint="Separated by commas, e.g. vip, wholesale."
                    error
                    value=c.tags.join(", ")
                />
                <ManagersOnly>
                    <SelectField label="Client type" id="contact-client-type" name="client_type" field="client_type" error>
                        <option value="" selected=chosen.is_none()>"Let the rules decide"</option>
                        {options()}
                    </SelectField>
                </ManagersOnly>
                <div class="field field-action">
                    <SubmitButton id="save-contact" label="Save" pending_label="Saving…" pending=update.pending() />
                </div>
            </ActionForm>
        </Card>
    }
}

/// "Add a note".
#[component]
fn NoteForm(id: Memo<String>, actions: Actions) -> impl IntoView {
    let note = actions.note;
    let error = action_error(note);
    let message = Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field("text"))));
    let form = reset_on_success(note);
    view! {
        <ActionForm action=note node_ref=form attr:class="form contact-note-form" attr:novalidate=true>
            <ErrorSummary error attempts=note.version() fields=&[("text", "contact-note-text")] />
            <input type="hidden" name="contact_id" value=move || id.get() />
            <div class="field" class:has-error=move || message.get().is_some()>
                <label for="contact-note-text">"Add a note"</label>
                <textarea
                    id="contact-note-text"
                    name="text"
                    rows="3"
                    maxlength="5000"
                    aria-describedby="contact-note-text-error"
                    aria-invalid=move || if message.get().is_some() { "true" } else { "false" }
                ></textarea>
                <FieldMessage id="contact-note-text-error" message />
            </div>
            <div class="field field-action">
                <SubmitButton id="add-contact-note" label="Add note" pending_label="Adding…" pending=note.pending() />
            </div>
        </ActionForm>
    }
}

/// Calls, notes and purchases, newest first.
#[component]
fn Timeline(entries: Vec<TimelineEntry>) -> impl IntoView {
    if entries.is_empty() {
        return Either::Left(view! {
            <EmptyState id="empty-timeline">
                <p class="muted">"No calls, notes, purchases or messages yet."</p>
            </EmptyState>
        });
    }
    let items = entries
        .into_iter()
        .map(|e| {
            let at = e.at();
            let (kind, body) = match e {
                TimelineEntry::Call(call) => {
                    let notes = call
                        .notes
                        .map(|n| view! { <p class="call-notes-text">{n}</p> });
                    let href = format!("/app/calls?call={}", call.id);
                    let outcome = call.end_reason.unwrap_or(call.state);
                    ("call", EitherOf4::A(view! {
                        <span class="call-step-text">
                            <a href=href>"Call"</a>
                            " to " {call.domain} " (" {outcome} ")"
                            {notes}
                        </span>
                    }))
                }
                TimelineEntry::Note(note) => ("note", EitherOf4::B(view! {
                    <span class="call-step-text">
                        "Note"
                        <p class="call-notes-text contact-note">{note.text}</p>
                    </span>
                })),
                TimelineEntry::Purchase(p) => ("purchase", EitherOf4::C(view! {
                    <span class="call-step-text">
                        "Purchase: " {p.product} " \u{2014} " {money(p.amount_minor, &p.currency)}
                        <span class="muted small">" (ref. " {p.external_ref} ")"</span>
                    </span>
                })),
                TimelineEntry::Message(m) => ("message", EitherOf4::D(view! {
                    <span class="call-step-text">
                        <a href="/app/messages?status=all">
                            {if m.audio_ms.is_some() { "Voice message" } else { "Message" }}
                        </a>
                        {(!m.handled).then_some(" (new)")}
                        {m.text.map(|t| view! { <p class="call-notes-text">{t}</p> })}
                    </span>
                })),
            };
            view! {
                <li class=format!("call-step contact-step-{kind}") data-kind=kind>
                    <time datetime=at.to_rfc3339()>{date_time(&at)}</time>
                    {body}
                </li>
            }
        })
        .collect_view();
    Either::Right(view! {
        <ol class="call-timeline" id="contact-timeline" aria-labelledby="contact-timeline-title">
            {items}
        </ol>
    })
}

/// Merging another contact into this one: search, pick, confirm.
#[component]
fn MergeCard(
    id: Memo<String>,
    merge_q: Memo<Option<String>>,
    candidates: Resource<Result<Option<Vec<ContactView>>, AppError>>,
    actions: Actions,
) -> impl IntoView {
    let merge = actions.merge;
    let error = action_error(merge);
    let done = Signal::derive(move || merge.value().with(|v| matches!(v, Some(Ok(_)))));
    view! {
        <Card
            title="Merge another contact into this one"
            id="merge-contact-title"
            lead="When one customer turned up twice: their calls, notes and purchases move here, blank fields are filled from the other contact, and the other contact is deleted."
        >
            <ErrorSummary error />
            {move || done.get().then(|| view! { <SuccessAlert>"Merged."</SuccessAlert> })}
            <Form method="GET" action=move || format!("{PAGE}/{}", id.get()) noscroll=true>
                <div class="form form-row" role="search">
                    <div class="field">
                        <label for="merge-search">"Find the other contact"</label>
                        <input
                            id="merge-search"
                            name="merge_q"
                            type="search"
                            placeholder="Name, email, domain or tag"
                            value=move || merge_q.get().unwrap_or_default()
                        />
                    </div>
                    <div class="field field-action">
                        <button type="submit" class="btn" id="merge-search-submit">"Find"</button>
                    </div>
                </div>
            </Form>
            <Loaded
                resource=candidates
                view={move |found: Option<Vec<ContactView>>| {
                    found.map(|list| view! { <MergeCandidates list into=id.get_untracked() merge /> })
                }}
            />
        </Card>
    }
}

/// The contacts a merge search found, each with "Merge…".
#[component]
fn MergeCandidates(
    list: Vec<ContactView>,
    into: String,
    merge: ServerAction<MergeContacts>,
) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! {
            <p class="muted" id="no-merge-candidates">"No other contact matches."</p>
        });
    }
    let items = list
        .into_iter()
        .map(|other| {
            let reach = [other.email.clone(), other.caller_domain.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            let from = other.id.to_string();
            view! {
                <li class="merge-candidate" data-contact=from.clone()>
                    <span>
                        <strong>{other.name.clone()}</strong>
                        " "
                        <span class="muted small">{reach}</span>
                        " "
                        {client_type_badge(other.client_type)}
                    </span>
                    <ConfirmAction
                        action=merge
                        fields=vec![("id", into.clone()), ("from", from.clone())]
                        label="Merge"
                        name=format!("Merge {} into this contact", other.name)
                        question=format!("Merge {} into this contact?", other.name)
                        detail=format!(
                            "Their {} calls, notes and purchases move here, and {} is deleted. This cannot be undone.",
                            other.call_count, other.name
                        )
                        confirm="Yes, merge"
                        confirm_id=format!("confirm-merge-{from}")
                    />
                </li>
            }
        })
        .collect_view();
    Either::Right(view! { <ul class="merge-candidates" id="merge-candidates">{items}</ul> })
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::contacts::ClientType;

    #[test]
    fn every_client_type_has_a_name() {
        for t in [ClientType::New, ClientType::Repeat, ClientType::Premium] {
            assert!(!client_type_label(t).is_empty());
        }
    }
}
