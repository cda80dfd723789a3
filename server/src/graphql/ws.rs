//! `GET /graphql/ws`: GraphQL over WebSocket (graphql-transport-ws, or the older
//! graphql-ws), with the same doors as `/ws`.
//!
//! Browsers send cookies with a WebSocket upgrade from any page and no `SameSite` rule
//! stops them, so the upgrade applies the `Origin` allowlist first
//! ([`crate::http::origin`]): a foreign origin is refused with 403 before any socket
//! exists, a business's verified domain connects without the dashboard cookies counting,
//! and a token in `connection_init` works from wherever a socket may be opened. Then the
//! limits of `POST /graphql` and `/ws`: no message or frame larger than the POST body
//! limit ([`super::MAX_BODY`]; closed with 1009), and `connection_init` due within the
//! signaling hello timeout (10 s; closed with 4408, as graphql-transport-ws says).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entity::auth::Credentials;
use entity::events::{Feed, Revocation};
use entity::net::ClientIp;
use entity::Services;
use futures::{SinkExt, StreamExt};

use super::{request_data, ApiSchema, ClientInfo, RequestAuth, Revoked, MAX_BODY};
use crate::http::origin::Origin;
use crate::state::AppState;

/// Close code: `connection_init` did not come in time (graphql-transport-ws).
const INIT_TIMEOUT_CLOSE: u16 = 4408;
/// Close code: a message over the limit (RFC 6455 "message too big").
const TOO_BIG_CLOSE: u16 = 1009;

/// Upgrades an allowed request to a GraphQL socket.
#[tracing::instrument(skip_all)]
pub(super) async fn graphql_ws(
    State(state): State<AppState>,
    Extension(client): Extension<ClientIp>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let origin = match state
        .http
        .origins
        .classify(&state.services.db, &headers)
        .await
    {
        Ok(Origin::Foreign) => {
            return (StatusCode::FORBIDDEN, "This origin may not connect.").into_response()
        }
        Ok(origin) => origin,
        Err(e) => {
            tracing::error!(error = %e, "checking a GraphQL socket's origin failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "Try again later.").into_response();
        }
    };
    let cookies = origin == Origin::Own;
    // Followed from before the credentials are read, so no revocation slips between.
    let revocations = state.services.events.revocations();
    let (cookie_auth, client, _) = request_data(&state.services, &headers, client, cookies).await;
    let socket = Socket {
        revocations,
        schema: state.schema.clone(),
        services: state.services.clone(),
        protocol,
        init_timeout: state.hub.config().hello_timeout,
        cookie_auth,
        client,
    };
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_BODY)
        .max_frame_size(MAX_BODY)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "GraphQL upgrade failed"))
        .on_upgrade(move |ws| socket.serve(ws))
        .into_response()
}

/// One upgraded socket and what its connection needs.
struct Socket {
    schema: ApiSchema,
    services: Services,
    protocol: GraphQLProtocol,
    init_timeout: Duration,
    /// The upgrade's cookie authentication (an error when no cookie counted).
    cookie_auth: RequestAuth,
    client: ClientInfo,
    /// Revocations, followed since before the credentials were read.
    revocations: Feed<Revocation>,
}

/// Why the server ended the socket, if it did so for a limit.
#[derive(Default)]
struct Ended {
    initialised: AtomicBool,
    too_big: AtomicBool,
    init_timed_out: AtomicBool,
}

/// Whether a read error is a message or frame over the limit.
fn is_too_big(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|e| e.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)))
}

impl Socket {
    async fn serve(self, ws: WebSocket) {
        let (mut sink, stream) = ws.split();
        let ended = Arc::new(Ended::default());
        let deadline = {
            let ended = ended.clone();
            let timeout = self.init_timeout;
            async move {
                tokio::time::sleep(timeout).await;
                if ended.initialised.load(Ordering::SeqCst) {
                    std::future::pending::<()>().await;
                }
                ended.init_timed_out.store(true, Ordering::SeqCst);
            }
        };
        let input = {
            let ended = ended.clone();
            stream
                .inspect(move |item| {
                    if let Err(e) = item {
                        if is_too_big(e) {
                            ended.too_big.store(true, Ordering::SeqCst);
                        }
                    }
                })
                // Boxed: async-graphql polls its input through `Pin::new`.
                .take_until(Box::pin(deadline))
        };
        let (services, cookie_auth, client) = (self.services, self.cookie_auth, self.client);
        let on_init = ended.clone();
        let revoked = Revoked::default();
        let flag = revoked.clone();
        let (grant_tx, grant_rx) = tokio::sync::oneshot::channel();
        let serve = GraphQLWebSocket::new_with_pair(&mut sink, input, self.schema, self.protocol)
            .on_connection_init(move |payload| async move {
                on_init.initialised.store(true, Ordering::SeqCst);
                // A token in the init payload (`{"authorization": "Bearer …"}`) wins over
                // the cookie sent with the upgrade request.
                let auth = match Credentials::from_init_payload(&payload) {
                    Some(token) => RequestAuth(token.principal(&services).await),
                    None => cookie_auth,
                };
                if let RequestAuth(Ok(principal)) = &auth {
                    let _ = grant_tx.send(entity::events::Grant::from(principal));
                }
                let mut data = Data::default();
                data.insert(auth);
                data.insert(client);
                data.insert(flag);
                Ok(data)
            })
            .serve();
        super::subscription::serve_until_revoked(serve, self.revocations, grant_rx, revoked).await;
        let close = if ended.too_big.load(Ordering::SeqCst) {
            Some((TOO_BIG_CLOSE, "message too big"))
        } else if ended.init_timed_out.load(Ordering::SeqCst) {
            Some((INIT_TIMEOUT_CLOSE, "Connection initialisation timeout"))
        } else {
            None
        };
        if let Some((code, reason)) = close {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                sink.send(Message::Close(Some(frame))),
            )
            .await;
        }
    }
}
