//! What the pages keep current while they are open, from the server's GraphQL
//! subscriptions (`/graphql/ws`, graphql-transport-ws).
//!
//! The server renders each page with the state of the moment; in the browser the page then
//! follows the subscription, so what it shows changes without a reload. Everything that
//! touches the browser's APIs is compiled for `hydrate` only; on the server these
//! functions return signals that never change.

#[cfg(feature = "hydrate")]
mod graphql_ws;

use leptos::prelude::*;

/// The verified domains whose business can take a call now, as the `onlineDomains`
/// subscription last listed them: `None` until the first list arrives (always on the
/// server). In the browser the socket opens now and closes when the calling component is
/// cleaned up.
#[must_use]
pub fn online_domains() -> ReadSignal<Option<Vec<String>>> {
    let list = RwSignal::new(None::<Vec<String>>);
    #[cfg(feature = "hydrate")]
    {
        let feed = graphql_ws::Subscription::open("subscription { onlineDomains }", move |data| {
            match serde_json::from_value::<Vec<String>>(data["onlineDomains"].clone()) {
                Ok(names) => list.set(Some(names)),
                Err(e) => leptos::logging::warn!("live: unexpected onlineDomains: {e}"),
            }
        });
        let feed = StoredValue::new_local(feed);
        on_cleanup(move || {
            feed.try_with_value(graphql_ws::Subscription::close);
        });
    }
    list.read_only()
}
