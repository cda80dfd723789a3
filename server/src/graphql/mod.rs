//! The GraphQL API: `POST /graphql`, our console on `GET /graphql`
//! ([`crate::http::console`]), subscriptions over WebSocket at `/graphql/ws` ([`ws`]).
//!
//! Requests are authenticated once, before execution, from `Authorization: Bearer …`
//! (API key or session token) or the session cookie — the cookie only when the request
//! proves it comes from our pages ([`crate::http::csrf`]); the credentials are read by
//! [`entity::auth::Credentials`], as at every door. Batching is off (a JSON array
//! body is refused), depth and complexity are limited, the body size is capped and
//! introspection follows `DOMAINCALL_GRAPHQL_INTROSPECTION`.

mod accounts;
mod callback_slots;
mod callbacks;
mod calls;
mod contacts;
mod context;
mod error;
mod introspection;
mod messages;
mod mutation;
mod profile;
mod query;
mod rewards;
mod routing;
mod schedules;
mod subscription;
mod types;
mod webhooks;
mod ws;

use async_graphql::Schema;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{Extension, FromRequest, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use entity::auth::Credentials;
use entity::net::ClientIp;
use entity::Services;

pub use context::{BearerToken, ClientInfo, RequestAuth, Revoked};
pub use entity::auth::credentials::{bearer, cookie};
use error::ensure_codes;
pub use subscription::Subscription;

use crate::state::AppState;

/// The root of every query: the core fields, then each area's.
#[derive(async_graphql::MergedObject, Default)]
pub struct Query(
    query::Query,
    routing::RoutingQuery,
    webhooks::WebhookQuery,
    schedules::SchedulesQuery,
    contacts::ContactsQuery,
    callbacks::CallbacksQuery,
    messages::MessagesQuery,
    rewards::RewardsQuery,
    callback_slots::CallbackSlotsQuery,
    calls::CallsQuery,
    profile::ProfileQuery,
);

/// The root of every mutation: the core fields, then each area's.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(
    accounts::AccountMutation,
    mutation::Mutation,
    routing::RoutingMutation,
    webhooks::WebhookMutation,
    schedules::SchedulesMutation,
    contacts::ContactsMutation,
    callbacks::CallbacksMutation,
    messages::MessagesMutation,
    rewards::RewardsMutation,
    callback_slots::CallbackSlotsMutation,
    profile::ProfileMutation,
);

/// The executable schema.
pub type ApiSchema = Schema<Query, Mutation, Subscription>;

/// The largest request body accepted (bytes).
pub const MAX_BODY: usize = 64 * 1024;

/// Builds the schema with its limits; `services` and the signaling `hub` (live presence)
/// are available to every resolver. Without `introspection`, documents selecting
/// `__schema` or `__type` are refused (`VALIDATION`, see [`introspection`]).
pub fn schema(services: Services, hub: crate::signaling::Hub, introspection: bool) -> ApiSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(services)
        .data(hub)
        .limit_depth(12)
        .limit_complexity(400)
        .limit_recursive_depth(32);
    if introspection {
        builder.finish()
    } else {
        builder
            .disable_introspection()
            .extension(introspection::NoIntrospection)
            .finish()
    }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .finish()
        .sdl()
}

/// The request's credentials and client, read once. With `cookies` false (a request
/// from a business's domain) the session and device cookies are ignored.
async fn request_data(
    services: &Services,
    headers: &HeaderMap,
    client: ClientIp,
    cookies: bool,
) -> (RequestAuth, ClientInfo, BearerToken) {
    let presented = Credentials::from_headers(headers, cookies);
    let auth = RequestAuth(presented.principal(services).await);
    let token = BearerToken(presented.bearer.as_deref().map(|t| t.trim().to_owned()));
    let client = ClientInfo {
        ip: client.to_string(),
        device_token: presented.device,
    };
    (auth, client, token)
}

/// `POST /graphql`: refused before its body is read unless it proves where it comes
/// from (see [`crate::http::csrf::graphql_post`]), then executed.
async fn graphql_post(
    State(state): State<AppState>,
    Extension(client): Extension<ClientIp>,
    req: Request,
) -> Response {
    let cookies = match crate::http::csrf::graphql_post(&state, req.headers()).await {
        Ok(cookies) => cookies == crate::http::csrf::Cookies::Honoured,
        Err(refusal) => return refusal,
    };
    let (auth, client, token) = request_data(&state.services, req.headers(), client, cookies).await;
    let gql = match GraphQLRequest::<GraphQLRejection>::from_request(req, &state).await {
        Ok(gql) => gql.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    let gql = gql.data(auth).data(client).data(token);
    GraphQLResponse::from(ensure_codes(state.schema.execute(gql).await)).into_response()
}

/// The `/graphql` and `/graphql/ws` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/graphql",
            get(crate::http::console::page).post(graphql_post),
        )
        .route("/graphql/ws", get(ws::graphql_ws))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
}
