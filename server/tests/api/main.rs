//! Integration tests: the real application on a random port, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod browser_calls;
mod call_limits;
mod call_records;
mod call_routing;
mod callers;
mod calls;
mod csrf;
mod directory;
#[path = "../../../entity/tests/support/dns_server.rs"]
mod dns_server;
mod domains;
mod graphql_edges;
mod hardening;
mod helpers;
mod invitations;
mod isolation;
mod opening_hours_calls;
mod page_security;
mod people;
mod proxy;
mod revocation;
mod routing;
mod schedule_pages;
mod schedules;
mod sign_up;
mod signaling;
mod subscriptions;
mod tokens;
mod turn;
mod turn_peers;
mod webhooks;
mod webrtc;
mod widget;
mod ws;
