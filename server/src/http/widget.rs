//! `GET /widget.js`: the click-to-call button businesses paste into their own sites.
//!
//! ```html
//! <script src="https://HOST/widget.js" data-domain="example.com" async></script>
//! ```
//!
//! The script is loaded cross-site, so it is plain JavaScript with no dependencies, served
//! with headers that let any page load it (also with `crossorigin` + Subresource Integrity,
//! or under `Cross-Origin-Embedder-Policy`) and cache it for an hour. It reads the host to
//! call from its own `src`, so the same file works on every site and every deployment.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The script, kept in its own file so it reads (and lints) as JavaScript.
pub const WIDGET_JS: &str = include_str!("widget.js");

/// `GET /widget.js`.
pub async fn get_widget() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            // An hour fresh, then revalidated in the background: a fix reaches every
            // site within the hour without each page view waiting on us.
            (
                header::CACHE_CONTROL,
                "public, max-age=3600, stale-while-revalidate=86400",
            ),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                "cross-origin",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        WIDGET_JS,
    )
        .into_response()
}
