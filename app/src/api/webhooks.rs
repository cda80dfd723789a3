//! Webhook endpoints of the current business (owners and admins): list, register (the
//! signing secret is shown once), switch on and off, rotate the secret, delete, send a
//! test event; and each endpoint's delivery log with "resend".

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// An endpoint as the page shows it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub description: String,
    /// Wire names (`call.ended`, …).
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why it switched itself off (the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An endpoint with its new signing secret (`whsec_…`), shown only in the page that asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecret {
    pub endpoint: WebhookRow,
    pub secret: String,
}

/// One delivery of an endpoint's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_http_status: Option<i32>,
    pub last_response_ms: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[cfg(feature = "ssr")]
fn row(e: entity::webhooks::endpoints::EndpointView) -> WebhookRow {
    WebhookRow {
        id: e.id.to_string(),
        url: e.url,
        description: e.description,
        events: e.events.iter().map(|t| t.as_str().to_owned()).collect(),
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        previous_secret_expires_at: e.previous_secret_expires_at,
        created_at: e.created_at,
    }
}

#[cfg(feature = "ssr")]
fn with_secret(w: entity::webhooks::endpoints::WithSecret) -> WebhookSecret {
    WebhookSecret {
        endpoint: row(w.endpoint),
        secret: w.secret,
    }
}

#[cfg(feature = "ssr")]
fn delivery(d: entity::webhooks::deliveries::DeliveryView) -> DeliveryRow {
    DeliveryRow {
        id: d.id.to_string(),
        event_type: d.event_type,
        status: d.status.as_str().to_owned(),
        attempts: d.attempts,
        last_http_status: d.last_http_status,
        last_response_ms: d.last_response_ms,
        last_error: d.last_error,
        next_attempt_at: d.next_attempt_at,
        created_at: d.created_at,
    }
}

/// The business's endpoints, oldest first (managers only).
#[server(endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<Vec<WebhookRow>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let list = entity::webhooks::endpoints::list(&services.db, &principal).await?;
        Ok(list.into_iter().map(row).collect())
    })
    .await
}

/// Registers an endpoint for `events` (wire names); the answer holds its secret.
#[server(endpoint = "create_webhook")]
pub async fn create_webhook(
    url: String,
    events: Vec<String>,
    description: String,
) -> Result<WebhookSecret, AppError> {
    use crate::backend;
    use entity::webhooks::endpoints::{self, EndpointInput};

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let input = EndpointInput {
            url,
            events,
            enabled: true,
            description,
        };
        let created =
            endpoints::create(&services.db, &services.webhook_targets, &principal, &input).await?;
        Ok(with_secret(created))
    })
    .await
}

/// Switches an endpoint on (`enabled` = `true`) or off.
#[server(endpoint = "set_webhook_enabled")]
pub async fn set_webhook_enabled(id: String, enabled: bool) -> Result<WebhookRow, AppError> {
    use crate::backend;
    use entity::webhooks::endpoints::{self, EndpointPatch};

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "webhook endpoint")?;
        let patch = EndpointPatch {
            enabled: Some(enabled),
            ..EndpointPatch::default()
        };
        let changed = endpoints::update(
            &services.db,
            &services.webhook_targets,
            &principal,
            id,
            &patch,
        )
        .await?;
        Ok(row(changed))
    })
    .await
}

/// Deletes an endpoint and its log.
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: String) -> Result<(), AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "webhook endpoint")?;
        Ok(entity::webhooks::endpoints::delete(&services.db, &principal, id).await?)
    })
    .await
}

/// A new signing secret; the previous one keeps signing for 24 hours.
#[server(endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(id: String) -> Result<WebhookSecret, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "webhook endpoint")?;
        let rotated =
            entity::webhooks::endpoints::rotate_secret(&services.db, &principal, id).await?;
        Ok(with_secret(rotated))
    })
    .await
}

/// Queues a `webhook.test` delivery to the endpoint.
#[server(endpoint = "send_test_webhook")]
pub async fn send_test_webhook(id: String) -> Result<DeliveryRow, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "webhook endpoint")?;
        let sent = entity::webhooks::deliveries::send_test(&services.db, &principal, id).await?;
        Ok(delivery(sent))
    })
    .await
}

/// The newest deliveries of an endpoint (at most 50).
#[server(endpoint = "webhook_deliveries")]
pub async fn webhook_deliveries(id: String) -> Result<Vec<DeliveryRow>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "webhook endpoint")?;
        let page = entity::webhooks::deliveries::list(&services.db, &principal, id, None, None, 50)
            .await?;
        Ok(page.items.into_iter().map(delivery).collect())
    })
    .await
}

/// Sends a delivery again (a new attempt, same `webhook-id`).
#[server(endpoint = "resend_webhook_delivery")]
pub async fn resend_webhook_delivery(id: String) -> Result<DeliveryRow, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "webhook delivery")?;
        let sent = entity::webhooks::deliveries::resend(&services.db, &principal, id).await?;
        Ok(delivery(sent))
    })
    .await
}
