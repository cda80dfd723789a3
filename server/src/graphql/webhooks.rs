//! Signed webhooks over GraphQL: endpoints, their delivery logs, test events, resends and
//! secret rotation. Thin: parse ids, call `entity::webhooks`, map the views. Owners and
//! admins only (the entity crate decides); another business's ids are `NOT_FOUND`.
//! Mutations cost 10 in the complexity budget, 50 for those that make a request to the
//! endpoint (`sendTestWebhook`, `resendWebhookDelivery`).

mod types;

use async_graphql::{Context, Object, Result, ID};
use entity::webhooks::endpoints::{self, EndpointInput, EndpointPatch};
use entity::webhooks::{deliveries, parse_webhook_id};
use entity::DomainError;
use uuid::Uuid;

use super::context::ContextExt;
use super::error::{gql, GqlResult};
use types::{
    WebhookDelivery, WebhookEndpoint, WebhookEndpointInput, WebhookEndpointUpdate, WebhookSecret,
};

fn parse_id(id: &ID, what: &'static str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound(what)))
}

/// Webhook queries.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The current business's webhook endpoints, oldest first.
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        let list = endpoints::list(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One endpoint (with its `deliveries`); `NOT_FOUND` unless it is this business's.
    async fn webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookEndpoint> {
        let id = parse_id(&id, "webhook endpoint")?;
        let e = endpoints::get(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(e.into())
    }
}

/// Webhook mutations (owners and admins).
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint. The answer holds its signing secret, shown only here.
    /// `VALIDATION` on `url` (not http/https, credentials, a non-public address), `events`
    /// (none) or `description`; `CONFLICT` past 20 endpoints.
    #[graphql(complexity = 10)]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> Result<WebhookSecret> {
        let s = ctx.services();
        let input = EndpointInput {
            url: input.url,
            events: types::wire_names(&input.events),
            enabled: input.enabled,
            description: input.description,
        };
        let created = endpoints::create(&s.db, &s.webhook_targets, ctx.principal()?, &input)
            .await
            .gql()?;
        Ok(created.into())
    }

    /// Changes an endpoint; enabling it clears `disabledReason`.
    #[graphql(complexity = 10)]
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: WebhookEndpointUpdate,
    ) -> Result<WebhookEndpoint> {
        let id = parse_id(&id, "webhook endpoint")?;
        let s = ctx.services();
        let patch = EndpointPatch {
            url: input.url,
            events: input.events.as_deref().map(types::wire_names),
            enabled: input.enabled,
            description: input.description,
        };
        let e = endpoints::update(&s.db, &s.webhook_targets, ctx.principal()?, id, &patch)
            .await
            .gql()?;
        Ok(e.into())
    }

    /// Deletes an endpoint and its delivery log.
    #[graphql(complexity = 10)]
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "webhook endpoint")?;
        endpoints::delete(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(true)
    }

    /// A new signing secret (shown only here); the previous one keeps signing for 24 hours,
    /// each delivery then carrying both signatures.
    #[graphql(complexity = 10)]
    async fn rotate_webhook_secret(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookSecret> {
        let id = parse_id(&id, "webhook endpoint")?;
        let rotated = endpoints::rotate_secret(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(rotated.into())
    }

    /// Sends a `webhook.test` event to the endpoint (also a disabled one) and returns the
    /// delivery, pending: follow it in the endpoint's `deliveries`. `RATE_LIMITED` past 20
    /// tests of one endpoint an hour.
    #[graphql(complexity = 50)]
    async fn send_test_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookDelivery> {
        let id = parse_id(&id, "webhook endpoint")?;
        let d = deliveries::send_test(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(d.into())
    }

    /// Sends a past delivery again with the same `webhook-id` (`msg_…`): one new attempt
    /// for a delivered or failed one, at once for a pending one. `CONFLICT` while an
    /// attempt of it is under way.
    #[graphql(complexity = 50)]
    async fn resend_webhook_delivery(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookDelivery> {
        let id = parse_webhook_id(id.as_str())
            .ok_or_else(|| gql(DomainError::NotFound("webhook delivery")))?;
        let d = deliveries::resend(&ctx.services().db, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(d.into())
    }
}
