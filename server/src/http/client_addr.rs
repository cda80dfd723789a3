//! Every request's client address, decided once: the TCP peer, or — through a proxy listed
//! in `DOMAINCALL_TRUSTED_PROXIES` — the address its `Forwarded` / `X-Forwarded-For`
//! headers name ([`entity::net::client_ip`]). Handlers, server functions and the sockets
//! read the [`ClientIp`] extension this layer puts on the request, never the peer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{HeaderName, FORWARDED};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use entity::net::{ClientIp, IpRanges};

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

fn values<'a>(headers: &'a HeaderMap, name: &HeaderName) -> impl Iterator<Item = &'a str> {
    headers.get_all(name).iter().filter_map(|v| v.to_str().ok())
}

/// The client address of a request from `peer` with `headers`.
#[must_use]
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &IpRanges) -> ClientIp {
    ClientIp(entity::net::client_ip(
        peer,
        values(headers, &FORWARDED),
        values(headers, &X_FORWARDED_FOR),
        trusted,
    ))
}

/// Middleware: puts the request's [`ClientIp`] into its extensions.
pub async fn client_addr(
    State(trusted): State<Arc<IpRanges>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let client = resolve(peer, req.headers(), &trusted);
    req.extensions_mut().insert(client);
    next.run(req).await
}
