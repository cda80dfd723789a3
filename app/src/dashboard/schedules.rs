//! `/app/schedules`: when the business takes calls — weekly hours in a time zone (the
//! business's, and teams' own), date overrides (holidays, special hours, pasted lists and
//! calendar files), out-of-office switches, and a preview "open at…?".
//!
//! Which schedule is edited lives in the address (`?team=<id>`; none: the business's), and
//! so does the preview (`?at=…&preview_team=…`, a GET form), so every part works without
//! JavaScript: the forms are `ActionForm`s posting to the server functions. Actions and
//! resources are made once, in the page's body, never inside a `Transition`.

mod away;
mod dates;
mod preview;
mod week;

use entity::schedules::{OpenNow, SchedulesView, StatusView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::use_account;
use crate::api::{
    get_schedules, preview_opening, time_zones, ClearTeamHours, ImportHolidays, RemoveDateOverride,
    SetDateOverride, SetOpeningHours, SetOutOfOffice,
};
use crate::ui::{ErrorPanel, Loading, PageHeader};
use preview::Asked;

/// Where the page lives.
const PAGE: &str = "/app/schedules";

/// The page's actions, shared by its cards.
#[derive(Clone, Copy)]
struct Actions {
    hours: ServerAction<SetOpeningHours>,
    clear: ServerAction<ClearTeamHours>,
    set_date: ServerAction<SetDateOverride>,
    remove_date: ServerAction<RemoveDateOverride>,
    import: ServerAction<ImportHolidays>,
    away: ServerAction<SetOutOfOffice>,
}

impl Actions {
    fn new() -> Self {
        Self {
            hours: ServerAction::new(),
            clear: ServerAction::new(),
            set_date: ServerAction::new(),
            remove_date: ServerAction::new(),
            import: ServerAction::new(),
            away: ServerAction::new(),
        }
    }

    /// Changes whenever one of them completes.
    fn versions(&self) -> [usize; 6] {
        [
            self.hours.version().get(),
            self.clear.version().get(),
            self.set_date.version().get(),
            self.remove_date.version().get(),
            self.import.version().get(),
            self.away.version().get(),
        ]
    }
}

/// The address of the page editing `team` (`None`: the business's hours).
fn scope_href(team: Option<&str>) -> String {
    team.map_or_else(|| PAGE.to_owned(), |t| format!("{PAGE}?team={t}"))
}

/// The schedules page.
#[component]
pub fn SchedulesPage() -> impl IntoView {
    let account = use_account();
    let query = use_query_map();
    let scope = Memo::new(move |_| {
        query
            .with(|q| q.get("team"))
            .filter(|t| !t.trim().is_empty())
    });
    let asked = Memo::new(move |_| {
        query.with(|q| {
            q.get("at").map(|at| Asked {
                at,
                team: q.get("preview_team").filter(|t| !t.trim().is_empty()),
            })
        })
    });
    let actions = Actions::new();
    let data = Resource::new(move || actions.versions(), |_| get_schedules());
    let zones = Resource::new(|| (), |()| time_zones());
    let answer = Resource::new(
        move || (asked.get(), actions.versions()),
        |(asked, _)| async move {
            match asked {
                Some(a) => Some(preview_opening(a.team, Some(a.at)).await),
                None => None,
            }
        },
    );

    view! {
        <Title text="Schedules" />
        <PageHeader
            title="Schedules"
            lead="When your business takes calls: opening hours, holidays and who is out of office. Callers outside your hours are told when you open, in their own time zone."
        />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let manage = matches!(account.me.await, Ok(me) if me.business.role.can_manage());
                let me = account.me.await.ok().map(|m| m.user_id);
                match data.await {
                    Ok(view) => {
                        let zones = zones.await.unwrap_or_default();
                        let teams = view.teams.clone();
                        let answer = answer.await;
                        Either::Left(view! {
                            <SchedulesBody view zones scope=scope.get() manage me actions />
                            <preview::PreviewCard
                                teams
                                asked=asked.get()
                                answer
                                scope=scope.get()
                            />
                        })
                    }
                    Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                }
            })}
        </Transition>
    }
}

/// Everything but the preview, once loaded.
#[component]
fn SchedulesBody(
    view: SchedulesView,
    zones: Vec<String>,
    /// The team whose hours are edited (`None`: the business's).
    scope: Option<String>,
    manage: bool,
    /// The signed-in user's id.
    me: Option<String>,
    actions: Actions,
) -> impl IntoView {
    let team = scope.as_ref().and_then(|id| {
        view.teams
            .iter()
            .find(|t| t.team_id.to_string() == *id)
            .cloned()
    });
    let tabs = std::iter::once((None, "Business hours".to_owned()))
        .chain(
            view.teams
                .iter()
                .map(|t| (Some(t.team_id.to_string()), t.team_name.clone())),
        )
        .map(|(id, name)| {
            let current = id == team.as_ref().map(|t| t.team_id.to_string());
            view! {
                <li>
                    <a
                        href=scope_href(id.as_deref())
                        aria-current=current.then_some("page")
                        class="schedule-tab"
                    >
                        {name}
                    </a>
                </li>
            }
        })
        .collect_view();
    let hours = match &team {
        Some(t) => week::HoursCard(week::HoursCardProps {
            schedule: t.schedule.clone(),
            business: view.business.clone(),
            team: Some((t.team_id.to_string(), t.team_name.clone())),
            zones,
            manage,
            actions,
        }),
        None => week::HoursCard(week::HoursCardProps {
            schedule: view.business.clone(),
            business: None,
            team: None,
            zones,
            manage,
            actions,
        }),
    };
    let dated = match &team {
        Some(t) => t.schedule.clone(),
        None => view.business.clone(),
    };
    view! {
        <NowBanner status=view.now.clone() />
        <nav class="schedule-tabs" aria-label="Whose hours">
            <ul>{tabs}</ul>
        </nav>
        {hours}
        <dates::DatesCard
            schedule=dated
            team=team.as_ref().map(|t| t.team_id.to_string())
            manage
            actions
        />
        <away::AwayCard
            business=view.business_out_of_office.clone()
            members=view.members_out_of_office.clone()
            manage
            me
            actions
        />
    }
}

/// "Open now", "Closed", or "Out of office", with when that changes.
#[component]
fn NowBanner(status: StatusView) -> impl IntoView {
    let (class, title) = match status.state {
        OpenNow::Open => ("alert alert-success", "Open now"),
        OpenNow::Closed => ("alert alert-info", "Closed now"),
        OpenNow::OutOfOffice => ("alert alert-error", "Out of office"),
    };
    view! {
        <div class=class role="status" id="schedule-now" data-state=state_name(status.state)>
            <strong>{title}</strong>
            " — "
            {status_detail(&status)}
        </div>
    }
}

/// The `data-state` of a status.
fn state_name(state: OpenNow) -> &'static str {
    match state {
        OpenNow::Open => "open",
        OpenNow::Closed => "closed",
        OpenNow::OutOfOffice => "out_of_office",
    }
}

/// What a status says beyond open or closed, in the schedule's own zone.
fn status_detail(s: &StatusView) -> String {
    let zone = &s.time_zone;
    match s.state {
        OpenNow::Open if !s.has_hours => {
            "no opening hours are set, so calls are taken around the clock.".to_owned()
        }
        OpenNow::Open => match &s.closes_at_local {
            Some(at) => format!("closes {at} ({zone}). Today: {}.", s.day_label),
            None => format!("open around the clock ({zone})."),
        },
        OpenNow::Closed => match &s.next_opening_local {
            Some(at) => format!("opens {at} ({zone}). Today: {}.", s.day_label),
            None => "no opening in the next 400 days.".to_owned(),
        },
        OpenNow::OutOfOffice => {
            let until = s
                .until_local
                .as_ref()
                .map(|u| format!(" Until {u} ({zone})."))
                .unwrap_or_default();
            format!(
                "callers hear: \u{201c}{}\u{201d}.{until}",
                s.message.clone().unwrap_or_default()
            )
        }
    }
}
