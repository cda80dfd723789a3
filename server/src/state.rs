//! The one `Clone` state every handler shares.

use axum::extract::FromRef;
use entity::Services;
use leptos::config::LeptosOptions;

use crate::graphql::ApiSchema;
use crate::signaling::Hub;

/// Application state.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub schema: ApiSchema,
    pub leptos: LeptosOptions,
    /// The signaling hub behind `/ws` (live sockets and presence).
    pub hub: Hub,
    /// What the HTTP doors need from the settings (origins, metrics token, console).
    pub http: std::sync::Arc<crate::http::HttpConfig>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
