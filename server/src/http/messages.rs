//! Messages' doors: `POST /call/message`, where a caller's call page leaves a text and a
//! recording (multipart: `domain`, `intent`, `email`, `name`, `text`, `audio`), and
//! `GET /app/messages/{id}/audio`, where the dashboard plays a recording.
//!
//! Leaving one is a caller door: from our pages or a business's verified domain (its call
//! page), never from elsewhere; it needs the caller's identity cookie; the body is capped
//! a little above [`entity::messages::audio::MAX_AUDIO_BYTES`]. A message left with an
//! email makes the business recognise the browser next time (its signed `dc_known_…`
//! cookie, as a callback request does). It answers JSON —
//! `{"id", "audio_ms"}`, or `{"code", "message", "field"}` with the status the code means.
//! Playing one is a dashboard download ([`super::downloads`]), served with its type read
//! off its bytes and `nosniff`.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::auth::credentials::cookie;
use entity::callers::CALLER_COOKIE;
use entity::messages::audio::MAX_AUDIO_BYTES;
use entity::messages::MessageInput;
use entity::types::ErrorCode;
use entity::DomainError;
use serde_json::json;

use super::downloads;
use super::origin::Origin;
use crate::state::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/call/message",
            post(post_message).layer(DefaultBodyLimit::max(MAX_AUDIO_BYTES + 64 * 1024)),
        )
        .route("/app/messages/{id}/audio", get(get_audio))
}

/// A refusal as JSON, with the status its code means.
fn refused(error: &DomainError) -> Response {
    let status = match error.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Validation => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        _ => {
            tracing::error!(error = %error, "leaving a message failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let field = match error {
        DomainError::Validation(fields) => fields.first().map(|f| f.field.clone()),
        _ => None,
    };
    let body = json!({
        "code": error.code().as_str(),
        "message": error.public_message(),
        "field": field,
    });
    (status, Json(body)).into_response()
}

fn plain(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = json!({ "code": code.as_str(), "message": message, "field": null });
    (status, Json(body)).into_response()
}

/// `POST /call/message`.
#[tracing::instrument(skip_all)]
async fn post_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    match state
        .http
        .origins
        .classify(&state.services.db, &headers)
        .await
    {
        Ok(Origin::Own | Origin::BusinessDomain) => {}
        Ok(Origin::Foreign) => {
            return plain(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "Messages are left from the call page.",
            )
        }
        Err(e) => return refused(&e),
    }
    let services = &state.services;
    let identity = match cookie(&headers, CALLER_COOKIE) {
        Some(token) => entity::callers::authenticate(&services.db, &services.keys, token).await,
        None => Err(DomainError::Unauthenticated(
            "Open the call page again to leave a message.".into(),
        )),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(e) => return refused(&e),
    };
    let (input, recording) = match fields(form).await {
        Ok(parts) => parts,
        Err(status) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            let why = entity::messages::audio::AudioRefusal::TooBig.message();
            return refused(&DomainError::invalid("audio", why));
        }
        Err(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                ErrorCode::Validation,
                "The form could not be read; send it again.",
            )
        }
    };
    let input = match input {
        Ok(input) => input,
        Err(e) => return refused(&e),
    };
    let now = chrono::Utc::now();
    let root = &state.http.data_dir;
    let recording = recording.as_deref();
    let left =
        match entity::messages::store::leave(services, root, &identity, &input, recording, now)
            .await
        {
            Ok(left) => left,
            Err(e) => return refused(&e),
        };
    let mut response = (StatusCode::CREATED, Json(json!(left))).into_response();
    // Left an email: the business knows this browser next time, as after a callback request.
    if let Some(email) = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if let Some(cookie) = remember(services, left.business_id, email) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// The signed cookie by which `business_id` recognises this browser's caller as `email`.
fn remember(
    services: &entity::Services,
    business_id: uuid::Uuid,
    email: &str,
) -> Option<header::HeaderValue> {
    use entity::contacts::remembered;
    let token = remembered::remember(&services.keys, business_id, email).ok()?;
    let cookie = entity::auth::cookie(
        &remembered::cookie_name(business_id),
        &token,
        remembered::REMEMBER_FOR,
        services.secure_cookies,
    );
    header::HeaderValue::from_str(&cookie).ok()
}

type Fields = (Result<MessageInput, DomainError>, Option<Vec<u8>>);

/// The form's fields; the status a broken or oversize body reads as.
async fn fields(mut form: Multipart) -> Result<Fields, StatusCode> {
    let mut input = MessageInput::default();
    let mut intent = None;
    let mut recording = None;
    while let Some(field) = form.next_field().await.map_err(|e| e.status())? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if name == "audio" {
            let bytes = field.bytes().await.map_err(|e| e.status())?;
            recording = (!bytes.is_empty()).then(|| bytes.to_vec());
            continue;
        }
        let value = field.text().await.map_err(|e| e.status())?;
        match name.as_str() {
            "domain" => input.domain = value,
            "intent" => intent = Some(value),
            "email" => input.email = Some(value),
            "name" => input.name = Some(value),
            "text" => input.text = Some(value),
            _ => {}
        }
    }
    let parsed = match intent.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        None => Ok(input),
        Some(id) => match uuid::Uuid::parse_str(id) {
            Ok(id) => {
                input.intent = Some(id);
                Ok(input)
            }
            Err(_) => Err(DomainError::NotFound("intent")),
        },
    };
    Ok((parsed, recording))
}

/// `GET /app/messages/{id}/audio`: the recording, for the dashboard's player.
async fn get_audio(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let principal = match downloads::principal(&state, &headers, "this recording").await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return downloads::refusal(&DomainError::NotFound("recording"));
    };
    let root = &state.http.data_dir;
    match entity::messages::store::recording(&state.services.db, root, &principal, id).await {
        Ok((content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                (header::CONTENT_DISPOSITION, "inline".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => downloads::refusal(&e),
    }
}
