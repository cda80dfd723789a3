//! Alerts for a dashboard tab in the background: the page title counts what wants the
//! member — the calls ringing, plus the callback requests and messages that arrived while
//! the tab was out of sight, until it is looked at again ("(3) Calls · domaincall") — and
//! an incoming call, a new callback request or a new message raises a browser notification
//! when the member allowed them (asked once, from the softphone's "Turn on alerts" button
//! — a click, as browsers require). Clicking the notification brings the tab to the front.

use std::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

/// Whether the browser can show notifications and has not been answered yet.
pub fn can_ask() -> bool {
    supported() && Notification::permission() == NotificationPermission::Default
}

fn supported() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::has(&w, &"Notification".into()).ok())
        .unwrap_or(false)
}

/// Asks for permission (from a click); `done` runs with whether it was granted.
pub fn ask(done: impl FnOnce(bool) + 'static) {
    if !supported() {
        return done(false);
    }
    let Ok(promise) = Notification::request_permission() else {
        return done(false);
    };
    leptos::task::spawn_local(async move {
        let answer = wasm_bindgen_futures::JsFuture::from(promise).await;
        done(answer.ok().and_then(|v| v.as_string()).as_deref() == Some("granted"));
    });
}

/// Shows `title` with `body` if the tab is in the background and alerts are allowed; a
/// newer notification of the same `tag` (`incoming`, `callback`) replaces the older one.
pub fn notify(tag: &str, title: &str, body: &str) {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    if !hidden || !supported() || Notification::permission() != NotificationPermission::Granted {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag(&format!("domaincall-{tag}"));
    if let Ok(n) = Notification::new_with_options(title, &options) {
        let focus = Closure::<dyn Fn()>::new(|| {
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
            }
        });
        n.set_onclick(Some(focus.as_ref().unchecked_ref()));
        focus.forget();
    }
}

thread_local! {
    /// Calls ringing on this device now.
    static RINGING: Cell<usize> = const { Cell::new(0) };
    /// Callback requests and messages that arrived while the tab was hidden.
    static UNSEEN: Cell<usize> = const { Cell::new(0) };
    /// Whether the listener that clears [`UNSEEN`] when the tab is shown is in place.
    static WATCHING: Cell<bool> = const { Cell::new(false) };
}

/// `count` calls ring on this device now.
pub fn ringing(count: usize) {
    RINGING.set(count);
    show_count();
}

/// A callback request or a message arrived: counted in the title while the tab is hidden,
/// until it is shown again.
pub fn arrived() {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    if !hidden {
        return;
    }
    watch_visibility();
    UNSEEN.set(UNSEEN.get() + 1);
    show_count();
}

/// Clears the unseen count whenever the tab becomes visible (registered once).
fn watch_visibility() {
    if WATCHING.replace(true) {
        return;
    }
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let seen = Closure::<dyn Fn()>::new(|| {
        let visible = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| !d.hidden());
        if visible {
            UNSEEN.set(0);
            show_count();
        }
    });
    let _ = doc.add_event_listener_with_callback("visibilitychange", seen.as_ref().unchecked_ref());
    seen.forget();
}

fn show_count() {
    title_count(RINGING.get() + UNSEEN.get());
}

/// Puts `(count) ` in front of the page title (nothing when zero), keeping the rest.
fn title_count(count: usize) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let title = doc.title();
    let bare = strip_count(&title);
    let next = if count == 0 {
        bare.to_owned()
    } else {
        format!("({count}) {bare}")
    };
    if next != title {
        doc.set_title(&next);
    }
}

/// `title` without a leading `(n) `.
fn strip_count(title: &str) -> &str {
    title
        .strip_prefix('(')
        .and_then(|rest| rest.split_once(") "))
        .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map_or(title, |(_, bare)| bare)
}
