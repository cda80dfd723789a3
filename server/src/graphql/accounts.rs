//! Accounts and sessions over GraphQL: sign-up (by emailed link), sign-in, sign-out,
//! passwords and businesses. Thin adapters over `entity::auth`, like every resolver.
//!
//! Every mutation costs more than a field in the complexity budget (`limit_complexity(400)`
//! in `mod.rs`), so aliasing one many times in a request is refused before anything runs:
//! mutations that hash a password, send an email or hand out a session cost 150 (two fit
//! in a request), one that asks DNS 50, every other 10. API keys never get a session here.

use async_graphql::{Context, InputObject, Object, Result, ID};
use entity::auth::sessions::SESSION_COOKIE;
use entity::auth::signup::{self, SignUpForm, SignUpMail};
use entity::auth::{accounts, cookie, sessions, Credential};
use entity::DomainError;
use uuid::Uuid;

use super::context::{ClientInfo, ContextExt};
use super::error::{gql, GqlResult};
use super::mutation::parse_id;
use super::types::{AuthPayload, Business, Role, SignUpStarted};

/// The account and session mutation fields.
#[derive(Default)]
pub struct AccountMutation;

/// Sign-up form.
#[derive(InputObject)]
pub struct SignUpInput {
    pub email: String,
    pub password: String,
    pub business_name: String,
}

/// The client's address, as the server decided it (for the per-client limits).
pub(super) fn client_ip<'a>(ctx: &'a Context<'_>) -> &'a str {
    ctx.data_opt::<ClientInfo>()
        .map_or("unknown", |c| c.ip.as_str())
}

/// Refuses API keys before a mutation that would hand out a session.
fn refuse_api_key(ctx: &Context<'_>) -> Result<()> {
    accounts::refuse_api_key(ctx.principal().ok()).gql()
}

/// Starts a session for `user_id` in `business_id`: the token, and the cookies a browser
/// gets with it ([`sessions::issue`], as the dashboard does: browsers using the API
/// directly get the same cookies).
pub(super) async fn start_session(
    ctx: &Context<'_>,
    user_id: Uuid,
    business_id: Uuid,
) -> Result<AuthPayload> {
    let issued = sessions::issue(ctx.services(), user_id, business_id)
        .await
        .gql()?;
    for value in issued.cookies {
        ctx.append_http_header("set-cookie", value);
    }
    Ok(AuthPayload {
        token: issued.token,
        user_id: ID(user_id.to_string()),
        business_id: ID(business_id.to_string()),
    })
}

#[Object]
impl AccountMutation {
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

    /// Finishes a sign-up with the token from the emailed link and the password chosen at
    /// sign-up: creates the account and its business and returns a session. A link works
    /// once, for 24 hours (`VALIDATION` on `token` otherwise, saying which; on `password`
    /// for another password, which leaves the link usable).
    #[graphql(complexity = 150)]
    async fn confirm_sign_up(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: String,
    ) -> Result<AuthPayload> {
        refuse_api_key(ctx)?;
        let (user, biz) = signup::confirm(&ctx.services().db, &token, &password)
            .await
            .gql()?;
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
                sessions::end(&s.db, &s.events, id).await.gql()?;
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
        let s = ctx.services();
        accounts::change_password(&s.db, &s.events, p, &current_password, &new_password)
            .await
            .gql()?;
        start_session(ctx, p.user_id, p.business_id).await
    }

    /// Sets how the user is addressed in every business they belong to; a blank name
    /// clears it (they are shown by email again). At most 60 characters.
    #[graphql(complexity = 10)]
    async fn set_display_name(&self, ctx: &Context<'_>, name: String) -> Result<Option<String>> {
        let s = ctx.services();
        let me = accounts::set_display_name(&s.db, ctx.principal()?, &name)
            .await
            .gql()?;
        Ok(me.display_name)
    }

    /// Makes the session act for another business the user belongs to.
    #[graphql(complexity = 10)]
    async fn switch_business(&self, ctx: &Context<'_>, business_id: ID) -> Result<Business> {
        let p = ctx.principal()?;
        let id = parse_id(&business_id, "business")?;
        let s = ctx.services();
        let db = &s.db;
        sessions::switch_business(db, &s.events, p, id)
            .await
            .gql()?;
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
}
