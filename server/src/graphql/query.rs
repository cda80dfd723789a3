//! Read-only fields.

use async_graphql::{Context, Object, Result, ID};
use entity::auth::{accounts, api_keys, invitations};
use entity::DomainError;
use uuid::Uuid;

use super::context::ContextExt;
use super::error::GqlResult;
use super::types::{ApiKey, Business, CallPage, CallerIdentity, Domain, Invitation, Member, User};

/// The core query fields (accounts, members, keys, domains, calls).
#[derive(Default)]
pub struct Query;

#[Object(name = "CoreQuery")]
impl Query {
    /// The signed-in user (session or API key) and their businesses.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let me = accounts::me(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(User {
            id: ID(me.user_id),
            email: me.email,
            display_name: me.display_name,
            businesses: me.businesses.into_iter().map(Into::into).collect(),
        })
    }

    /// The business the request acts for.
    async fn business(&self, ctx: &Context<'_>) -> Result<Business> {
        let me = accounts::me(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(me.business.into())
    }

    /// The members of the current business.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Member>> {
        let list = accounts::list_members(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Pending invitations of the current business (owners and admins).
    async fn invitations(&self, ctx: &Context<'_>) -> Result<Vec<Invitation>> {
        let list = invitations::list(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// API keys of the current business (owners and admins).
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        let list = api_keys::list(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// The domains of the current business, by name.
    async fn domains(&self, ctx: &Context<'_>) -> Result<Vec<Domain>> {
        let list = entity::domains::list(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One domain of the current business with its latest checks (null when it is not
    /// one of this business's domains).
    async fn domain(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Domain>> {
        let principal = ctx.principal()?;
        let Ok(id) = Uuid::parse_str(id.as_str()) else {
            return Ok(None);
        };
        match entity::domains::detail(&ctx.services().db, principal, id).await {
            Ok(d) => Ok(Some(d.into())),
            Err(DomainError::NotFound(_)) => Ok(None),
            Err(e) => Err(super::error::gql(e)),
        }
    }

    /// The business a call page reaches: `domain` is a verified domain (or `call.` + it).
    /// Null for unknown or unverified domains. Needs no credentials.
    async fn call_page(&self, ctx: &Context<'_>, domain: String) -> Result<Option<CallPage>> {
        let page = entity::domains::call_page(&ctx.services().db, &domain)
            .await
            .gql()?;
        Ok(page.map(Into::into))
    }

    /// The caller identity of the caller token sent as `Authorization: Bearer`.
    async fn caller(&self, ctx: &Context<'_>) -> Result<CallerIdentity> {
        let caller = super::context::caller(ctx).await?;
        Ok(entity::callers::view(&caller).into())
    }

    /// The verified domains whose business has at least one available agent connected
    /// now, sorted. Needs no credentials (the call page suggests them).
    async fn online_domains(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let hub = ctx.data::<crate::signaling::Hub>()?;
        entity::calls::online::online_domains(&ctx.services().db, hub)
            .await
            .gql()
    }

    /// The calls of the current business, newest first (at most 200), with the wait
    /// (request → accept, ms), who answered, the intent's label and the outcome. For
    /// filters and paging past 200 use `callHistory`.
    async fn calls(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] limit: i32,
    ) -> Result<Vec<super::types::Call>> {
        let list = entity::calls::records::list_views_for(
            &ctx.services().db,
            ctx.principal()?,
            limit.into(),
        )
        .await
        .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One call of the current business with its timeline (`events`); `NOT_FOUND` when it
    /// is not one of this business's calls.
    async fn call(&self, ctx: &Context<'_>, id: ID) -> Result<super::types::Call> {
        let principal = ctx.principal()?;
        let id = Uuid::parse_str(id.as_str()).map_err(|_| DomainError::NotFound("call"));
        let id = id.gql()?;
        let detail = entity::calls::records::call_detail(
            &ctx.services().db,
            principal,
            entity::calls::CallId::from_uuid(id),
        )
        .await
        .gql()?;
        Ok(detail.into())
    }
}
