//! The domaincall web front end: Leptos components and routes, rendered on the server
//! (`ssr`) and hydrated in the browser (`hydrate`).
//!
//! Pages talk to the domain only through the server functions in [`api`], which are thin
//! adapters over `entity`; nothing here decides who may do what.

pub mod api;
#[cfg(feature = "ssr")]
mod backend;
mod dashboard;
pub mod error;
mod live;
mod pages;
mod rtc;
mod ui;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

pub use error::AppError;

/// The site icon, inline so it costs no request.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
    viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Ctext \
    x='16' y='21' font-family='Arial,sans-serif' font-size='13' font-weight='700' \
    text-anchor='middle' fill='white'%3Edc%3C/text%3E%3C/svg%3E";

/// The whole HTML document around [`App`], rendered by the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" type="image/svg+xml" href=FAVICON />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: every route of the site.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/domaincall.css" />
        <Title formatter=page_title />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::Landing />
                <Route path=path!("/signup") view=pages::SignUpPage />
                <Route path=path!("/signup/confirm/:token") view=pages::ConfirmSignUpPage />
                <Route path=path!("/signin") view=pages::SignInPage />
                <Route path=path!("/invite/:token") view=pages::InvitePage />
                <Route path=path!("/l/:token") view=pages::LinkPageView ssr=SsrMode::Async />
                <Route path=path!("/call") view=pages::CallHostPage ssr=SsrMode::Async />
                <Route
                    path=path!("/call/:domain")
                    view=pages::CallDomainPage
                    ssr=SsrMode::Async
                />
                <ParentRoute path=path!("/app") view=dashboard::DashboardLayout>
                    <Route path=path!("") view=dashboard::Overview />
                    <Route path=path!("members") view=dashboard::MembersPage />
                    <Route path=path!("api-keys") view=dashboard::ApiKeysPage />
                    <Route path=path!("webhooks") view=dashboard::WebhooksPage />
                    <Route path=path!("settings") view=dashboard::SettingsPage />
                    <Route path=path!("domains") view=dashboard::DomainsPage />
                    <Route path=path!("intents") view=dashboard::IntentsPage />
                    <Route path=path!("teams") view=dashboard::TeamsPage />
                    <Route path=path!("schedules") view=dashboard::SchedulesPage />
                    <Route path=path!("contacts") view=dashboard::ContactsPage />
                    <Route path=path!("contacts/:id") view=dashboard::ContactPage />
                    <Route path=path!("calls") view=dashboard::CallsPage />
                    <Route path=path!("callbacks") view=dashboard::CallbacksPage />
                    <Route path=path!("messages") view=dashboard::MessagesPage />
                    <Route path=path!("rewards") view=dashboard::RewardsPage />
                    <Route path=path!("/*any") view=dashboard::SectionNotFound />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Every page's `<title>`: the page's own title, then the site's name. The one formatter
/// of the app, so every `<Title text=…>` goes through it.
///
/// On the server the result is also HTML-escaped, because leptos_meta 0.8 writes the
/// title into the server-rendered `<head>` as it is (`ServerMetaContext::
/// inject_meta_context` pushes `<title>`, the text, `</title>` with no escaping) — and
/// titles carry text people chose, like a business's name on its call page: a name
/// holding `</title><img onerror=…>` would otherwise become markup on our origin. In the
/// browser the title is set through `document.title`, which takes text, so escaping
/// there would show the entities instead.
fn page_title(title: String) -> String {
    let title = if title.is_empty() {
        "domaincall".to_owned()
    } else {
        format!("{title} · domaincall")
    };
    if cfg!(feature = "ssr") {
        escape_html_text(&title)
    } else {
        title
    }
}

/// `text` with the characters that mean markup in HTML text or attributes replaced by
/// character references.
fn escape_html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The browser entry point: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // A marker for people and tests: the page is live (event handlers attached).
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape_html_text(r#"X</title><img src=x onerror="a('1')"> & co"#),
            "X&lt;/title&gt;&lt;img src=x onerror=&quot;a(&#39;1&#39;)&quot;&gt; &amp; co"
        );
        assert_eq!(escape_html_text("Café ＜b＞"), "Café ＜b＞");
    }

    /// The server writes the title as it comes: it must come escaped.
    #[cfg(feature = "ssr")]
    #[test]
    fn server_rendered_titles_cannot_close_the_title_element() {
        let title = page_title("Call X</title><img src=x onerror=alert(1)><title>".to_owned());
        assert!(!title.contains('<') && !title.contains('>'), "{title}");
        assert_eq!(
            title,
            "Call X&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;&lt;title&gt; · domaincall"
        );
        assert_eq!(page_title(String::new()), "domaincall");
    }
}
