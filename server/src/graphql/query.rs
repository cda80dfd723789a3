//! Read-only fields.

use async_graphql::{Context, Object, Result, ID};
use entity::auth::{accounts, api_keys, invitations};

use super::context::ContextExt;
use super::error::GqlResult;
use super::types::{ApiKey, Business, Invitation, Member, User};

/// The root of every query.
pub struct Query;

#[Object]
impl Query {
    /// The signed-in user (session or API key) and their businesses.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let me = accounts::me(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(User {
            id: ID(me.user_id),
            email: me.email,
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
}
