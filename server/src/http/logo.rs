//! The business logo's doors: `GET /logo/{business}` serves it (public: it is on the call
//! page, on our host and on every business domain pointed at us), and
//! `POST /app/profile/logo` takes a new one from the dashboard's plain multipart form.
//!
//! The upload is a cookie door: only from our own pages ([`super::downloads::principal`]),
//! owners and admins only, the body capped a little above
//! [`entity::profile::MAX_LOGO_BYTES`]. It answers with a redirect back to the settings
//! page saying how it went (`?logo=saved`, `too_big`, `not_image`…), so it works without
//! script. The image's type is read off its bytes and served with `nosniff`.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use entity::profile::LogoRefusal;
use entity::types::ErrorCode;

use super::downloads;
use crate::state::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/logo/{business}", get(get_logo))
        .route(
            "/app/profile/logo",
            post(post_logo).layer(DefaultBodyLimit::max(
                entity::profile::MAX_LOGO_BYTES + 16 * 1024,
            )),
        )
}

/// `GET /logo/{business}`: the image with its type, cached (its address changes with it).
async fn get_logo(State(state): State<AppState>, Path(business): Path<String>) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&business) else {
        return (StatusCode::NOT_FOUND, "No such logo.\n").into_response();
    };
    match entity::profile::logo(&state.services.db, id).await {
        Ok(Some(logo)) => (
            [
                (header::CONTENT_TYPE, logo.content_type),
                (header::CACHE_CONTROL, "public, max-age=86400".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                (header::CONTENT_DISPOSITION, "inline".to_owned()),
            ],
            logo.bytes,
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "No such logo.\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading a logo failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Try again later.\n").into_response()
        }
    }
}

fn back(outcome: &str) -> Response {
    Redirect::to(&format!("/app/settings?logo={outcome}#profile-title")).into_response()
}

/// `POST /app/profile/logo`: the `logo` file field of a multipart form.
#[tracing::instrument(skip_all)]
async fn post_logo(State(state): State<AppState>, headers: HeaderMap, form: Multipart) -> Response {
    let principal = match downloads::principal(&state, &headers, "the logo").await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    if !principal.role.can_manage() {
        return back("forbidden");
    }
    let bytes = match logo_field(form).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return back(LogoRefusal::Empty.code()),
        Err(status) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            return back(LogoRefusal::TooBig.code())
        }
        Err(_) => return back("failed"),
    };
    if let Err(why) = entity::profile::check_logo(&bytes) {
        return back(why.code());
    }
    match entity::profile::set_logo(&state.services.db, &principal, bytes).await {
        Ok(_) => back("saved"),
        Err(e) if e.code() == ErrorCode::Forbidden => back("forbidden"),
        Err(e) => {
            tracing::error!(error = %e, "saving a logo failed");
            back("failed")
        }
    }
}

/// The bytes of the form's `logo` field (`None` when absent or empty), or the status a
/// broken or oversize body reads as.
async fn logo_field(mut form: Multipart) -> Result<Option<Vec<u8>>, StatusCode> {
    while let Some(field) = form.next_field().await.map_err(|e| e.status())? {
        if field.name() == Some("logo") {
            let bytes = field.bytes().await.map_err(|e| e.status())?;
            return Ok((!bytes.is_empty()).then(|| bytes.to_vec()));
        }
    }
    Ok(None)
}
