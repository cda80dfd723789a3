//! "Open at…?": the business or a team at any local date and time, as a GET form
//! (`?at=2025-12-24T18:30&preview_team=<id>`), so it works without JavaScript and a
//! preview can be linked to.

use entity::schedules::{OpenNow, StatusView, TeamScheduleView};
use leptos::prelude::*;
use leptos_router::components::Form;

use super::{state_name, status_detail, PAGE};
use crate::error::AppError;
use crate::ui::ErrorPanel;

/// What the preview form asked, from the address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asked {
    pub at: String,
    pub team: Option<String>,
}

/// The preview card: the form, and the answer to what the address asks.
#[component]
pub fn PreviewCard(
    teams: Vec<TeamScheduleView>,
    asked: Option<Asked>,
    answer: Option<Result<StatusView, AppError>>,
    /// The team whose hours the page edits (kept in the address).
    scope: Option<String>,
) -> impl IntoView {
    let chosen = asked.as_ref().and_then(|a| a.team.clone());
    let options = teams
        .into_iter()
        .map(|t| {
            let id = t.team_id.to_string();
            let selected = chosen.as_deref() == Some(id.as_str());
            view! { <option value=id selected=selected>{t.team_name}</option> }
        })
        .collect_view();
    let result = answer.map(|answer| match answer {
        Ok(s) => {
            let title = match s.state {
                OpenNow::Open => "Open",
                OpenNow::Closed => "Closed",
                OpenNow::OutOfOffice => "Out of office",
            };
            leptos::either::Either::Left(view! {
                <p class="preview-answer" id="preview-answer" data-state=state_name(s.state) role="status">
                    <strong>{format!("{} at {}:", title, s.at_local)}</strong>
                    " "
                    {status_detail(&s)}
                </p>
            })
        }
        Err(error) => leptos::either::Either::Right(view! { <ErrorPanel error /> }),
    });
    view! {
        <section class="card" aria-labelledby="preview-title" id="preview-card">
            <h2 id="preview-title">"Open at…?"</h2>
            <p class="muted">"Check any date and time, in the schedule's time zone: holidays, overnight hours and clock changes included."</p>
            <Form method="GET" action=PAGE noscroll=true>
                <div class="form form-row">
                    {scope.map(|s| view! { <input type="hidden" name="team" value=s /> })}
                    <div class="field field-narrow">
                        <label for="preview-at">"Date and time"</label>
                        <input
                            id="preview-at"
                            name="at"
                            type="datetime-local"
                            value=asked.as_ref().map(|a| a.at.clone()).unwrap_or_default()
                        />
                    </div>
                    <div class="field">
                        <label for="preview-team">"Whose hours"</label>
                        <select id="preview-team" name="preview_team">
                            <option value="" selected=chosen.is_none()>"The business"</option>
                            {options}
                        </select>
                    </div>
                    <div class="field field-action">
                        <button type="submit" class="btn" id="preview-submit">"Check"</button>
                    </div>
                </div>
            </Form>
            {result}
        </section>
    }
}
