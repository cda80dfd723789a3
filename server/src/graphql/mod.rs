//! The GraphQL API: `POST /graphql`, GraphiQL on `GET /graphql`, subscriptions over
//! WebSocket at `/graphql/ws` (graphql-transport-ws and graphql-ws protocols).
//!
//! Requests are authenticated once, before execution, from `Authorization: Bearer …`
//! (API key or session token) or the session cookie. Batching is off (a JSON array body
//! is refused), depth and complexity are limited and the body size is capped.

mod accounts;
mod context;
mod error;
mod mutation;
mod query;
mod routing;
mod subscription;
mod types;

use async_graphql::http::GraphiQLSource;
use async_graphql::{Data, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{Extension, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use entity::auth::sessions::{DEVICE_COOKIE, SESSION_COOKIE};
use entity::net::ClientIp;
use entity::Services;

pub use context::{BearerToken, ClientInfo, RequestAuth};
use error::ensure_codes;
pub use subscription::Subscription;

use crate::state::AppState;

/// The root of every query: the core fields, then each area's.
#[derive(async_graphql::MergedObject, Default)]
pub struct Query(query::Query, routing::RoutingQuery);

/// The root of every mutation: the core fields, then each area's.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(
    accounts::AccountMutation,
    mutation::Mutation,
    routing::RoutingMutation,
);

/// The executable schema.
pub type ApiSchema = Schema<Query, Mutation, Subscription>;

/// The largest request body accepted (bytes).
pub const MAX_BODY: usize = 64 * 1024;

/// Builds the schema with its limits; `services` and the signaling `hub` (live presence)
/// are available to every resolver.
pub fn schema(services: Services, hub: crate::signaling::Hub) -> ApiSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(services)
        .data(hub)
        .limit_depth(12)
        .limit_complexity(400)
        .limit_recursive_depth(32)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .finish()
        .sdl()
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The bearer credential, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
}

async fn request_data(
    services: &Services,
    headers: &HeaderMap,
    client: ClientIp,
) -> (RequestAuth, ClientInfo, BearerToken) {
    let auth = match (bearer(headers), cookie(headers, SESSION_COOKIE)) {
        (None, None) => Err(entity::DomainError::Unauthenticated(
            "Sign in first.".into(),
        )),
        (b, c) => entity::auth::authenticate(services, b, c).await,
    };
    let client = ClientInfo {
        ip: client.to_string(),
        device_token: cookie(headers, DEVICE_COOKIE).map(str::to_owned),
    };
    let token = BearerToken(bearer(headers).map(|t| t.trim().to_owned()));
    (RequestAuth(auth), client, token)
}

async fn graphql_post(
    State(state): State<AppState>,
    Extension(client): Extension<ClientIp>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let (auth, client, token) = request_data(&state.services, &headers, client).await;
    let req = req.into_inner().data(auth).data(client).data(token);
    ensure_codes(state.schema.execute(req).await).into()
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

async fn graphql_ws(
    State(state): State<AppState>,
    Extension(client): Extension<ClientIp>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let (cookie_auth, client, _) = request_data(&state.services, &headers, client).await;
    let services = state.services.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            GraphQLWebSocket::new(socket, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    // A token in the init payload (`{"authorization": "Bearer …"}`) wins
                    // over the cookie sent with the upgrade request.
                    let token = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str())
                        .map(|v| v.trim_start_matches("Bearer ").to_owned());
                    let auth = match token {
                        Some(t) => {
                            RequestAuth(entity::auth::authenticate(&services, Some(&t), None).await)
                        }
                        None => cookie_auth,
                    };
                    let mut data = Data::default();
                    data.insert(auth);
                    data.insert(client);
                    Ok(data)
                })
                .serve()
                .await;
        })
        .into_response()
}

/// The `/graphql` and `/graphql/ws` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
}
