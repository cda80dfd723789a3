//! Opening hours and out-of-office: the schedules page's server functions. Thin adapters
//! over `entity::schedules`; ids and times travel as strings so plain form posts work too
//! (an empty `team_id` means the business's own schedule).

use entity::schedules::{
    HolidayImportView, OutOfOfficeView, OverrideView, ScheduleView, SchedulesView, StatusView,
};
use leptos::prelude::*;

use crate::error::AppError;

/// A form's optional team id: empty or absent is the business.
#[cfg(feature = "ssr")]
fn team(team_id: Option<&str>) -> Result<Option<entity::routing_setup::Uuid>, AppError> {
    match team_id.map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) => crate::backend::parse_id(id, "Team").map(Some),
    }
}

/// Everything the schedules page shows.
#[server(endpoint = "get_schedules")]
pub async fn get_schedules() -> Result<SchedulesView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        Ok(entity::schedules::present::view(&services.db, &principal).await?)
    })
    .await
}

/// The time zone names hours may use (suggestions for the zone field).
#[server(endpoint = "time_zones")]
pub async fn time_zones() -> Result<Vec<String>, AppError> {
    Ok(entity::schedules::zone_names())
}

/// Sets the weekly hours and time zone of the business or of a team (`team_id`).
#[allow(clippy::too_many_arguments)] // one field per day, as the form posts them
#[server(endpoint = "set_opening_hours")]
pub async fn set_opening_hours(
    team_id: Option<String>,
    time_zone: String,
    mon: String,
    tue: String,
    wed: String,
    thu: String,
    fri: String,
    sat: String,
    sun: String,
) -> Result<ScheduleView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let team = team(team_id.as_deref())?;
        let days = [
            mon.as_str(),
            tue.as_str(),
            wed.as_str(),
            thu.as_str(),
            fri.as_str(),
            sat.as_str(),
            sun.as_str(),
        ];
        Ok(entity::schedules::store::set_hours(
            &services.db,
            &services.events,
            &principal,
            team,
            &time_zone,
            days,
        )
        .await?)
    })
    .await
}

/// Makes a team follow the business's hours again.
#[server(endpoint = "clear_team_hours")]
pub async fn clear_team_hours(team_id: String) -> Result<(), AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let team = backend::parse_id(&team_id, "Team")?;
        Ok(entity::schedules::store::clear_team_hours(
            &services.db,
            &services.events,
            &principal,
            team,
        )
        .await?)
    })
    .await
}

/// Sets one date's hours: closed (no `hours`) or special hours.
#[server(endpoint = "set_date_override")]
pub async fn set_date_override(
    team_id: Option<String>,
    date: String,
    hours: Option<String>,
    name: Option<String>,
) -> Result<OverrideView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let team = team(team_id.as_deref())?;
        Ok(entity::schedules::store::set_override(
            &services.db,
            &services.events,
            &principal,
            team,
            &date,
            hours.as_deref().unwrap_or_default(),
            name.as_deref().unwrap_or_default(),
        )
        .await?)
    })
    .await
}

/// Removes a date override.
#[server(endpoint = "remove_date_override")]
pub async fn remove_date_override(id: String) -> Result<(), AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "Date override")?;
        Ok(entity::schedules::store::remove_override(
            &services.db,
            &services.events,
            &principal,
            id,
        )
        .await?)
    })
    .await
}

/// Closes every day of a pasted list (`YYYY-MM-DD name` per line) or iCalendar file.
#[server(endpoint = "import_holidays")]
pub async fn import_holidays(
    team_id: Option<String>,
    text: String,
) -> Result<HolidayImportView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let team = team(team_id.as_deref())?;
        Ok(entity::schedules::store::import_holidays(
            &services.db,
            &services.events,
            &principal,
            team,
            &text,
        )
        .await?)
    })
    .await
}

/// Switches out-of-office for the business (no `user_id`) or a member. `enabled` is a
/// checkbox (present when ticked); `until` a local `YYYY-MM-DDTHH:MM` in the business's
/// zone (empty: until switched off).
#[server(endpoint = "set_out_of_office")]
pub async fn set_out_of_office(
    user_id: Option<String>,
    enabled: Option<String>,
    message: Option<String>,
    until: Option<String>,
) -> Result<OutOfOfficeView, AppError> {
    use crate::backend;
    use entity::schedules::store::Until;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let user = match user_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(backend::parse_id(id, "Member")?),
        };
        let until = match until.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(Until::Local(
                ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
                    .iter()
                    .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
                    .ok_or_else(|| {
                        entity::DomainError::invalid(
                            "until",
                            "Enter a date and time like 2025-12-31T09:00.",
                        )
                    })?,
            )),
        };
        Ok(entity::schedules::store::set_out_of_office(
            &services.db,
            &services.events,
            &principal,
            user,
            enabled.is_some_and(|e| !e.is_empty() && e != "false"),
            message.as_deref().unwrap_or_default(),
            until,
        )
        .await?)
    })
    .await
}

/// Whether the business (or a team) is open at a local date and time in its zone
/// (`YYYY-MM-DDTHH:MM`; empty: now).
#[server(endpoint = "preview_opening")]
pub async fn preview_opening(
    team_id: Option<String>,
    at: Option<String>,
) -> Result<StatusView, AppError> {
    use crate::backend;
    use entity::schedules::present::{preview, When};

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let team = team(team_id.as_deref())?;
        let at = at.unwrap_or_default();
        Ok(preview(&services.db, &principal, team, When::Local(&at)).await?)
    })
    .await
}
