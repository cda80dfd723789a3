//! "Calls ring": the team a verified domain's calls ring when the caller picked no intent
//! (`sales.example.com` → Sales). Owners and admins choose it; agents read it. An intent
//! the caller picks still routes by the intent.

use entity::routing_setup::TeamView;
use entity::types::DomainView;
use leptos::form::ActionForm;
use leptos::prelude::*;

use super::detail::Controls;
use crate::ui::{ErrorSummary, SelectField, SubmitButton};

/// What a domain's calls ring, as people read it.
fn ring_label(domain: &DomainView, teams: &[TeamView]) -> String {
    match &domain.route_team_id {
        None => "Everyone".to_owned(),
        Some(id) => teams
            .iter()
            .find(|t| t.id.to_string() == *id)
            .map_or_else(|| "Everyone".to_owned(), |t| format!("Team {}", t.name)),
    }
}

/// The "Calls ring" control (managers) or line (agents) of a verified domain.
#[component]
pub fn RouteControl(
    domain: DomainView,
    teams: Vec<TeamView>,
    /// Whether the viewer may change it (owners and admins).
    manage: bool,
    controls: Controls,
) -> impl IntoView {
    let label = ring_label(&domain, &teams);
    let explain =
        "Callers who pick a topic on the call page are routed by that topic; the others ring this.";
    if !manage {
        return view! {
            <div class="domain-route" id="domain-route">
                <h3>"Routing"</h3>
                <p>
                    "Calls ring: "
                    <strong id="domain-route-text">{label}</strong>
                </p>
                <p class="muted small">{explain}</p>
            </div>
        }
        .into_any();
    }
    let (route, pending, error) = controls.route_parts();
    let current = domain.route_team_id.clone();
    let options = teams
        .into_iter()
        .map(|t| {
            let id = t.id.to_string();
            let selected = current.as_deref() == Some(id.as_str());
            view! { <option value=id selected=selected>{t.name}</option> }
        })
        .collect_view();
    view! {
        <div class="domain-route" id="domain-route">
            <h3>"Routing"</h3>
            <ActionForm action=route attr:class="form form-row" attr:novalidate=true>
                <ErrorSummary error attempts=route.version() fields=&[("team_id", "domain-route-team")] />
                <input type="hidden" name="id" value=domain.id.clone() />
                <SelectField
                    label="Calls ring"
                    id="domain-route-team"
                    name="team_id"
                    field="team_id"
                    error
                >
                    <option value="" selected=current.is_none()>
                        "Everyone"
                    </option>
                    {options}
                </SelectField>
                <div class="field field-action">
                    <SubmitButton
                        id="save-domain-route"
                        label="Save"
                        pending_label="Saving…"
                        pending
                    />
                </div>
            </ActionForm>
            <p class="muted small">{explain}</p>
        </div>
    }
    .into_any()
}
