//! Fields that change state. Each extracts, authorises through the principal, calls the
//! entity crate and maps the result; no rule lives here.
//!
//! Every mutation costs more than a field in the complexity budget (`limit_complexity(400)`
//! in `mod.rs`), so aliasing one many times in a request is refused before anything runs:
//! mutations that hash a password, send an email or hand out a session cost 150 (two fit
//! in a request), one that asks DNS 50, every other 10.

use async_graphql::{Context, InputObject, Object, Result, ID};
use entity::auth::sessions::{DEVICE_COOKIE, SESSION_COOKIE};
use entity::auth::signup::{self, SignUpForm, SignUpMail};
use entity::auth::{accounts, api_keys, cookie, invitations, sessions, Credential};
use entity::DomainError;
use uuid::Uuid;

use super::context::{ClientInfo, ContextExt};
use super::error::{gql, GqlResult};
use super::types::{
    ApiKey, AuthPayload, Business, CallerIdentity, CallerSession, CreatedApiKey, Domain,
    Invitation, Member, Role, SignUpStarted, Verification,
};

/// The core mutation fields (accounts, members, keys, domains, calls).
#[derive(Default)]
pub struct Mutation;

/// Sign-up form.
#[derive(InputObject)]
pub struct SignUpInput {
    pub email: String,
    pub password: String,
    pub business_name: String,
}

/// The client's address, as the server decided it (for the per-client limits).
fn client_ip<'a>(ctx: &'a Context<'_>) -> &'a str {
    ctx.data_opt::<ClientInfo>()
        .map_or("unknown", |c| c.ip.as_str())
}

/// Refuses API keys before a mutation that would hand out a session.
fn refuse_api_key(ctx: &Context<'_>) -> Result<()> {
    accounts::refuse_api_key(ctx.principal().ok()).gql()
}

fn parse_id(id: &ID, what: &'static str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| gql(DomainError::NotFound(what)))
}

async fn start_session(ctx: &Context<'_>, user_id: Uuid, business_id: Uuid) -> Result<AuthPayload> {
    let s = ctx.services();
    let token = sessions::start(&s.db, &s.keys, user_id, business_id, s.session_ttl)
        .await
        .gql()?;
    // Browsers using the API directly get the same cookies as the dashboard: the session,
    // and the device cookie that exempts this browser from other clients' sign-in limits.
    let device = sessions::device_token(&s.keys, user_id).gql()?;
    ctx.append_http_header(
        "set-cookie",
        cookie(SESSION_COOKIE, &token, s.session_ttl, s.secure_cookies),
    );
    ctx.append_http_header(
        "set-cookie",
        cookie(
            DEVICE_COOKIE,
            &device,
            chrono::Duration::days(365),
            s.secure_cookies,
        ),
    );
    Ok(AuthPayload {
        token,
        user_id: ID(user_id.to_string()),
        business_id: ID(business_id.to_string()),
    })
}

#[Object(name = "CoreMutation")]
impl Mutation {
    /// Starts a sign-up: emails the address a link that creates the account and its
    /// business (`confirmSignUp`), or, when the address has an account already, tells its
    /// owner so. Answers the same either way and issues no session. Bad fields are
    /// `VALIDATION` at once; at most 5 sign-ups per client address and 3 per email an hour
    /// by default (`RATE_LIMITED` beyond).
    #[graphql(complexity = 150)]
    async fn sign_up(&self, ctx: &Context<'_>, input: SignUpInput) -> Result<SignUpStarted> {
        let s = ctx.services();
        let mail = SignUpMail {
            outbox: s.outbox.as_ref(),
            public_url: &s.public_url,
        };
        let form = SignUpForm {
            email: &input.email,
            password: &input.password,
            business_name: &input.business_name,
        };
        let started = signup::request(&s.db, mail, &s.signup_limiter, client_ip(ctx), form)
            .await
            .gql()?;
        Ok(started.into())
    }

    /// Finishes a sign-up with the token from the emailed link: creates the account and its
    /// business and returns a session. A link works once, for 24 hours (`VALIDATION` on
    /// `token` otherwise, saying which).
    #[graphql(complexity = 150)]
    async fn confirm_sign_up(&self, ctx: &Context<'_>, token: String) -> Result<AuthPayload> {
        refuse_api_key(ctx)?;
        let (user, biz) = signup::confirm(&ctx.services().db, &token).await.gql()?;
        start_session(ctx, user.id, biz.id).await
    }

    /// Signs in; rate limited per account and per client (`RATE_LIMITED`).
    #[graphql(complexity = 150)]
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        refuse_api_key(ctx)?;
        let s = ctx.services();
        let ip = client_ip(ctx);
        let device = ctx
            .data_opt::<ClientInfo>()
            .and_then(|c| c.device_token.as_deref());
        let (user, business_id) =
            accounts::sign_in(&s.db, &s.limiter, &s.keys, &email, &password, ip, device)
                .await
                .gql()?;
        start_session(ctx, user.id, business_id).await
    }

    /// Ends the session the request was made with.
    #[graphql(complexity = 10)]
    async fn sign_out(&self, ctx: &Context<'_>) -> Result<bool> {
        match ctx.principal()?.credential {
            Credential::Session(id) => {
                let s = ctx.services();
                sessions::end(&s.db, id).await.gql()?;
                ctx.append_http_header(
                    "set-cookie",
                    cookie(
                        SESSION_COOKIE,
                        "",
                        chrono::Duration::zero(),
                        s.secure_cookies,
                    ),
                );
            }
            Credential::ApiKey(_) => {
                return Err(gql(DomainError::Forbidden(
                    "Revoke an API key instead of signing it out.".into(),
                )))
            }
        }
        Ok(true)
    }

    /// Changes the password, ends every session of the user and returns a fresh one
    /// (sessions only: `FORBIDDEN` for API keys).
    #[graphql(complexity = 150)]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<AuthPayload> {
        let p = ctx.principal()?;
        refuse_api_key(ctx)?;
        accounts::change_password(&ctx.services().db, p, &current_password, &new_password)
            .await
            .gql()?;
        start_session(ctx, p.user_id, p.business_id).await
    }

    /// Makes the session act for another business the user belongs to.
    #[graphql(complexity = 10)]
    async fn switch_business(&self, ctx: &Context<'_>, business_id: ID) -> Result<Business> {
        let p = ctx.principal()?;
        let id = parse_id(&business_id, "business")?;
        let db = &ctx.services().db;
        sessions::switch_business(db, p, id).await.gql()?;
        let switched = entity::auth::Principal {
            business_id: id,
            ..p.clone()
        };
        Ok(accounts::me(db, &switched).await.gql()?.business.into())
    }

    /// Creates another business owned by the signed-in user.
    #[graphql(complexity = 10)]
    async fn create_business(&self, ctx: &Context<'_>, name: String) -> Result<Business> {
        let p = ctx.principal()?;
        let biz = accounts::create_business(&ctx.services().db, p.user_id, &name)
            .await
            .gql()?;
        Ok(Business {
            id: ID(biz.id.to_string()),
            name: biz.name,
            role: Role::Owner,
        })
    }

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
        let detail = entity::calls::records::call_detail(db, principal, id)
            .await
            .gql()?;
        Ok(detail.into())
    }
}
