//! Fields that change state: members, invitations, keys, domains, callers and calls
//! (accounts and sessions are in `accounts.rs`). Each extracts, authorises through the
//! principal, calls the entity crate and maps the result; no rule lives here. Each costs
//! more than a field in the complexity budget (see `accounts.rs`).

use async_graphql::{Context, Object, Result, ID};
use entity::auth::{accounts, api_keys, invitations};
use entity::DomainError;
use uuid::Uuid;

use super::accounts::{client_ip, start_session};
use super::context::ContextExt;
use super::error::{gql, GqlResult};
use super::types::{
    ApiKey, AuthPayload, CallerIdentity, CallerSession, CreatedApiKey, Domain, Invitation, Member,
    Role, Verification,
};

/// The core mutation fields (members, keys, domains, calls).
#[derive(Default)]
pub struct Mutation;

/// An id sent by a client; a malformed one is simply not found.
pub(super) fn parse_id(id: &ID, what: &'static str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound(what)))
}

#[Object(name = "CoreMutation")]
impl Mutation {
    /// Invites someone by email (owners and admins; only owners invite owners). A business
    /// sends at most 50 invitations a day by default (`RATE_LIMITED` beyond).
    #[graphql(complexity = 150)]
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        email: String,
        role: Role,
    ) -> Result<Invitation> {
        let s = ctx.services();
        let sender = invitations::Sender {
            outbox: s.outbox.as_ref(),
            public_url: &s.public_url,
            per_day: s.invitations_per_day,
        };
        let inv = invitations::invite(
            &s.db,
            sender,
            &s.events,
            ctx.principal()?,
            &email,
            role.into(),
        )
        .await
        .gql()?;
        Ok(inv.into())
    }

    /// Sends a pending invitation again: a new link by email, the old one invalid at once.
    /// Counts toward the business's daily invitation limit like a new invitation.
    #[graphql(complexity = 150)]
    async fn resend_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation> {
        let id = parse_id(&id, "invitation")?;
        let s = ctx.services();
        let sender = invitations::Sender {
            outbox: s.outbox.as_ref(),
            public_url: &s.public_url,
            per_day: s.invitations_per_day,
        };
        let inv = invitations::resend(&s.db, sender, &s.events, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(inv.into())
    }

    /// Revokes a pending invitation.
    #[graphql(complexity = 10)]
    async fn revoke_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "invitation")?;
        invitations::revoke(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
        )
        .await
        .gql()?;
        Ok(true)
    }

    /// Accepts an invitation with the token from its link: creates the account (new
    /// password) or attaches the existing one (its password, or a session of it); returns
    /// a session. `FORBIDDEN` with an API key.
    #[graphql(complexity = 150)]
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: String,
    ) -> Result<AuthPayload> {
        let (user, business_id) = invitations::accept(
            &ctx.services().db,
            &ctx.services().events,
            &token,
            &password,
            ctx.principal().ok(),
        )
        .await
        .gql()?;
        start_session(ctx, user.id, business_id).await
    }

    /// Removes a member (or leaves, with your own id).
    #[graphql(complexity = 10)]
    async fn remove_member(&self, ctx: &Context<'_>, user_id: ID) -> Result<bool> {
        let id = parse_id(&user_id, "member")?;
        accounts::remove_member(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
        )
        .await
        .gql()?;
        Ok(true)
    }

    /// Changes a member's role (owners only).
    #[graphql(complexity = 10)]
    async fn set_member_role(&self, ctx: &Context<'_>, user_id: ID, role: Role) -> Result<Member> {
        let id = parse_id(&user_id, "member")?;
        let m = accounts::set_member_role(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
            role.into(),
        )
        .await
        .gql()?;
        Ok(m.into())
    }

    /// Creates an API key for the current business; the secret is returned only here.
    #[graphql(complexity = 10)]
    async fn create_api_key(&self, ctx: &Context<'_>, name: String) -> Result<CreatedApiKey> {
        let k = api_keys::create(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            &name,
        )
        .await
        .gql()?;
        Ok(CreatedApiKey {
            api_key: k.key.into(),
            secret: k.secret,
        })
    }

    /// Revokes an API key; it stops working at once.
    #[graphql(complexity = 10)]
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let id = parse_id(&id, "API key")?;
        Ok(api_keys::revoke(
            &ctx.services().db,
            &ctx.services().events,
            ctx.principal()?,
            id,
        )
        .await
        .gql()?
        .into())
    }

    /// Adds a domain to the current business (owners and admins) and issues the code its
    /// TXT record must carry. Subdomains of a verified domain are verified at once.
    #[graphql(complexity = 10)]
    async fn add_domain(&self, ctx: &Context<'_>, name: String) -> Result<Domain> {
        let s = ctx.services();
        let d = entity::domains::add(&s.db, &s.domains, ctx.principal()?, &name)
            .await
            .gql()?;
        Ok(d.into())
    }

    /// Looks the domain's TXT record up now (no cached answers) and records the outcome.
    #[graphql(complexity = 50)]
    async fn verify_domain(&self, ctx: &Context<'_>, id: ID) -> Result<Verification> {
        let id = parse_id(&id, "domain")?;
        let s = ctx.services();
        let v = entity::domains::verify(&s.db, &s.domains, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(v.into())
    }

    /// Removes a domain of the current business; its call page goes offline.
    #[graphql(complexity = 10)]
    async fn remove_domain(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "domain")?;
        let s = ctx.services();
        entity::domains::remove(&s.db, &s.domains, ctx.principal()?, id)
            .await
            .gql()?;
        Ok(true)
    }

    /// Routes calls to a domain whose caller picked no intent to a team (owners and
    /// admins); without `teamId`, they ring everyone again. An intent the caller picks
    /// still routes by the intent. `NOT_FOUND` for another business's domain or team.
    #[graphql(complexity = 10)]
    async fn set_domain_route(
        &self,
        ctx: &Context<'_>,
        domain_id: ID,
        team_id: Option<ID>,
    ) -> Result<Domain> {
        let id = parse_id(&domain_id, "domain")?;
        let team = team_id.map(|t| parse_id(&t, "team")).transpose()?;
        let s = ctx.services();
        let d = entity::domains::set_route(&s.db, s.events.as_ref(), ctx.principal()?, id, team)
            .await
            .gql()?;
        Ok(d.into())
    }

    /// Starts an evanescent caller identity (`guest-….<zone>`) and its token. Needs no
    /// credentials; `email` is optional and can be left later. At most 30 per client
    /// address per 10 minutes (`RATE_LIMITED` beyond).
    #[graphql(complexity = 10)]
    async fn start_caller_session(
        &self,
        ctx: &Context<'_>,
        email: Option<String>,
    ) -> Result<CallerSession> {
        let s = ctx.services();
        s.guest_limiter.hit(client_ip(ctx)).gql()?;
        let session = entity::callers::start_guest(&s.db, &s.keys, &s.callers, email.as_deref())
            .await
            .gql()?;
        Ok(session.into())
    }

    /// A caller identity that calls as a verified domain of the current business (the
    /// callee sees `verified: <domain>`).
    #[graphql(complexity = 10)]
    async fn call_as_domain(&self, ctx: &Context<'_>, domain_id: ID) -> Result<CallerSession> {
        let id = parse_id(&domain_id, "domain")?;
        let s = ctx.services();
        let session =
            entity::callers::call_as_domain(&s.db, &s.keys, &s.callers, ctx.principal()?, id)
                .await
                .gql()?;
        Ok(session.into())
    }

    /// Attaches an email to the caller identity of the caller token sent as bearer.
    #[graphql(complexity = 10)]
    async fn attach_caller_email(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> Result<CallerIdentity> {
        let caller = super::context::caller(ctx).await?;
        let view = entity::callers::attach_email(&ctx.services().db, &caller, &email)
            .await
            .gql()?;
        Ok(view.into())
    }

    /// Keeps the signed-in member's notes on one of the current business's calls (at
    /// most 5,000 characters, `VALIDATION` beyond; blank clears them) and returns the
    /// call. A call of another business is `NOT_FOUND`.
    #[graphql(complexity = 10)]
    async fn save_call_notes(
        &self,
        ctx: &Context<'_>,
        call_id: ID,
        notes: String,
    ) -> Result<super::types::Call> {
        use entity::calls::records::RecordWriter;
        let principal = ctx.principal()?;
        let id = entity::calls::CallId::from_uuid(parse_id(&call_id, "call")?);
        let hub = ctx.data::<crate::signaling::Hub>().ok();
        let db = &ctx.services().db;
        entity::calls::records::save_notes(
            db,
            hub.map(|h| h as &dyn RecordWriter),
            principal.business_id,
            id,
            principal.user_id,
            &notes,
        )
        .await
        .gql()?;
        let events = ctx.services().events.as_ref();
        entity::contacts::notes::call_notes_saved(db, events, principal.business_id, id.as_uuid())
            .await
            .gql()?;
        let detail = entity::calls::records::call_detail(db, principal, id)
            .await
            .gql()?;
        Ok(detail.into())
    }
}
