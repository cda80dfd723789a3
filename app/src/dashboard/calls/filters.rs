//! The call log's filter form: a plain `GET` form onto the page's own address, so a
//! filtered view is a link (share it, reload it, bookmark it) and works before the page
//! hydrates. The router's `Form` turns the submit into a client-side navigation once it
//! has.

use entity::calls::filter::{CallQuery, Choice, FilterOptions, OutcomeKind};
use leptos::prelude::*;
use leptos_router::components::Form;

use super::PAGE;
use crate::error::AppError;
use crate::ui::{ErrorSummary, Field, SelectField};

/// The `<option>`s of a list, the current choice selected, "Any" first.
fn options(choices: Vec<Choice>, current: Option<String>) -> impl IntoView {
    let any = current.is_none();
    let items = choices
        .into_iter()
        .map(|c| {
            let selected = current.as_deref() == Some(c.id.as_str());
            view! { <option value=c.id selected=selected>{c.label}</option> }
        })
        .collect_view();
    view! {
        <option value="" selected=any>"Any"</option>
        {items}
    }
}

/// The filter form, showing the filters of the address and the errors of the last load.
#[component]
pub fn CallFilters(
    /// The filters in the address.
    query: CallQuery,
    /// What the lists offer.
    choices: FilterOptions,
    /// The error of the last load (its field errors sit under their fields).
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let domains = choices
        .domains
        .into_iter()
        .map(|d| Choice {
            id: d.clone(),
            label: d,
        })
        .collect();
    let outcomes = OutcomeKind::ALL
        .iter()
        .map(|k| Choice {
            id: k.as_str().to_owned(),
            label: k.label().to_owned(),
        })
        .collect();
    let get = |k: &str| query.get(k).map(str::to_owned);
    let (from, to) = (
        get("from").unwrap_or_default(),
        get("to").unwrap_or_default(),
    );
    let (domain, intent, team) = (get("domain"), get("intent"), get("team"));
    let (member, outcome) = (get("member"), get("outcome"));
    view! {
        <Form method="GET" action=PAGE noscroll=true>
            <div class="form calls-filters" id="calls-filters">
                <ErrorSummary
                    error
                    fields=&[
                        ("from", "filter-from"),
                        ("to", "filter-to"),
                        ("domain", "filter-domain"),
                        ("intent", "filter-intent"),
                        ("team", "filter-team"),
                        ("member", "filter-member"),
                        ("outcome", "filter-outcome"),
                        ("after", "calls-title"),
                    ]
                />
                <Field
                    label="From (UTC)"
                    id="filter-from"
                    name="from"
                    field="from"
                    input_type="date"
                    value=from
                    error
                />
                <Field
                    label="To (UTC)"
                    id="filter-to"
                    name="to"
                    field="to"
                    input_type="date"
                    value=to
                    error
                />
                <SelectField label="Domain" id="filter-domain" name="domain" field="domain" error>
                    {options(domains, domain)}
                </SelectField>
                <SelectField label="Intent" id="filter-intent" name="intent" field="intent" error>
                    {options(choices.intents, intent)}
                </SelectField>
                <SelectField label="Team" id="filter-team" name="team" field="team" error>
                    {options(choices.teams, team)}
                </SelectField>
                <SelectField label="Answered by" id="filter-member" name="member" field="member" error>
                    {options(choices.members, member)}
                </SelectField>
                <SelectField label="Outcome" id="filter-outcome" name="outcome" field="outcome" error>
                    {options(outcomes, outcome)}
                </SelectField>
                <div class="field field-action calls-filter-actions">
                    <button type="submit" class="btn" id="apply-filters">"Apply filters"</button>
                    <a href=PAGE class="btn btn-ghost" id="clear-filters">"Clear"</a>
                </div>
            </div>
        </Form>
    }
}
