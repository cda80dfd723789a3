//! The GraphQL console at `GET /graphql`: a small page of our own instead of GraphiQL.
//!
//! GraphiQL as async-graphql ships it loads React and GraphiQL from a third-party CDN
//! without integrity: whoever controls that CDN runs script on our origin, next to the
//! dashboard cookies. This console is three static files compiled into the binary — a
//! page with no inline script or style, a script and a stylesheet served from here — so
//! it runs under `script-src 'self'`. It posts `application/json` like any page of ours,
//! so the CSRF rules of `POST /graphql` hold for it too. `DOMAINCALL_GRAPHQL_CONSOLE=false`
//! turns it off (404); `/graphql/schema.graphql` (the SDL) follows
//! `DOMAINCALL_GRAPHQL_INTROSPECTION`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const PAGE: &str = include_str!("console/console.html");
const SCRIPT: &str = include_str!("console/console.js");
const STYLE: &str = include_str!("console/console.css");

/// The page's own policy: only our script, stylesheet and `/graphql` (a stricter
/// site-wide policy, when one is added, still applies on top).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found.\n").into_response()
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// `GET /graphql`: the console page, or 404 when it is off.
pub async fn page(State(state): State<AppState>) -> Response {
    if !state.http.graphql_console {
        return not_found();
    }
    let schema_link = if state.http.graphql_introspection {
        r#" <a href="/graphql/schema.graphql">Schema (SDL)</a>"#
    } else {
        ""
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        PAGE.replace("<!--schema-link-->", schema_link),
    )
        .into_response()
}

/// `GET /graphql/console.js`.
pub async fn script(State(state): State<AppState>) -> Response {
    if !state.http.graphql_console {
        return not_found();
    }
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /graphql/console.css`.
pub async fn style(State(state): State<AppState>) -> Response {
    if !state.http.graphql_console {
        return not_found();
    }
    asset("text/css; charset=utf-8", STYLE)
}

/// `GET /graphql/schema.graphql`: the schema in SDL, when introspection is on (it says
/// the same); 404 otherwise.
pub async fn sdl(State(state): State<AppState>) -> Response {
    if !state.http.graphql_introspection {
        return not_found();
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        crate::graphql::sdl(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_runs_no_inline_or_foreign_code() {
        let page = PAGE.to_ascii_lowercase();
        assert!(!page.contains("<style"), "no inline style");
        let handler = page.split(" on").skip(1).any(|rest| {
            let name_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(0);
            rest[name_len..].trim_start().starts_with('=')
        });
        assert!(!handler, "no inline event handlers");
        assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"));
        let scripts: Vec<&str> = page.split("<script").skip(1).collect();
        assert_eq!(scripts.len(), 1);
        assert!(scripts[0].starts_with(r#" src="/graphql/console.js""#));
        assert!(scripts[0].contains("></script>"));
        assert!(!SCRIPT.contains("eval(") && !SCRIPT.contains("innerHTML"));
    }
}
