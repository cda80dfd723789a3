//! The business profile over GraphQL (API keys included): the name, the greeting the call
//! page shows callers, and the logo. Thin adapters over `entity::profile`. Every member
//! reads; owners and admins change it.

use async_graphql::{Context, Object, Result, SimpleObject};
use base64::Engine;
use entity::DomainError;

use super::context::ContextExt;
use super::error::{gql, GqlResult};

/// What callers see of the business on its call page.
#[derive(SimpleObject)]
pub struct BusinessProfile {
    pub name: String,
    /// Shown under the name on the call page; null: none.
    pub greeting: Option<String>,
    /// Where the logo is served (a path on this server; it changes with the logo); null:
    /// no logo.
    pub logo_url: Option<String>,
}

impl From<entity::profile::ProfileView> for BusinessProfile {
    fn from(p: entity::profile::ProfileView) -> Self {
        Self {
            name: p.name,
            greeting: p.greeting,
            logo_url: p.logo_url,
        }
    }
}

/// The profile's query fields.
#[derive(Default)]
pub struct ProfileQuery;

#[Object]
impl ProfileQuery {
    /// The current business's profile.
    async fn business_profile(&self, ctx: &Context<'_>) -> Result<BusinessProfile> {
        let p = entity::profile::profile(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(p.into())
    }
}

/// The profile's mutation fields.
#[derive(Default)]
pub struct ProfileMutation;

#[Object]
impl ProfileMutation {
    /// Renames the business and sets its greeting for callers (at most 280 characters;
    /// null or blank removes it). Owners and admins.
    #[graphql(complexity = 10)]
    async fn set_business_profile(
        &self,
        ctx: &Context<'_>,
        name: String,
        greeting: Option<String>,
    ) -> Result<BusinessProfile> {
        let input = entity::profile::ProfileInput { name, greeting };
        let p = entity::profile::set_profile(&ctx.services().db, ctx.principal()?, &input)
            .await
            .gql()?;
        Ok(p.into())
    }

    /// Sets the logo: a PNG, JPEG or WebP image, base64 encoded (the type is read off the
    /// image itself). The request's size limit (64 KB) caps it here at about 47 KB; the
    /// dashboard's upload takes up to 256 KB. Owners and admins.
    #[graphql(complexity = 10)]
    async fn set_business_logo(
        &self,
        ctx: &Context<'_>,
        image_base64: String,
    ) -> Result<BusinessProfile> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(image_base64.trim())
            .map_err(|_| gql(DomainError::invalid("imageBase64", "This is not base64.")))?;
        let p = entity::profile::set_logo(&ctx.services().db, ctx.principal()?, bytes)
            .await
            .gql()?;
        Ok(p.into())
    }

    /// Removes the logo. Owners and admins.
    #[graphql(complexity = 10)]
    async fn remove_business_logo(&self, ctx: &Context<'_>) -> Result<BusinessProfile> {
        let p = entity::profile::remove_logo(&ctx.services().db, ctx.principal()?)
            .await
            .gql()?;
        Ok(p.into())
    }
}
