//! The frame of a dashboard page: its header (with the page's primary action), cards,
//! empty states, notices, and [`Loaded`] for data that arrives later.

use leptos::either::Either;
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

use super::{ErrorPanel, Loading};
use crate::error::AppError;

/// A page's title block, with its primary action on the right (a link, often to the
/// page's own "add" form: it works without JavaScript and moves focus there).
#[component]
pub fn PageHeader(
    title: &'static str,
    /// One sentence on what the page is for.
    #[prop(optional)]
    lead: Option<&'static str>,
    /// The primary action: (`href`, label).
    #[prop(optional)]
    action: Option<(&'static str, &'static str)>,
    /// Actions shown only sometimes (wrap them in `ManagersOnly`).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <div class="page-header-text">
                <h1>{title}</h1>
                {lead.map(|l| view! { <p class="lead">{l}</p> })}
            </div>
            {action
                .map(|(href, label)| {
                    view! {
                        <a href=href class="btn btn-primary page-action">
                            {label}
                        </a>
                    }
                })}
            {children.map(|c| c())}
        </header>
    }
}

/// A card: a titled section of a page.
#[component]
pub fn Card(
    /// Its heading.
    #[prop(into)]
    title: String,
    /// The heading's `id` (the section is labelled by it; links and tests use it).
    #[prop(into)]
    id: String,
    /// Extra classes.
    #[prop(optional)]
    class: &'static str,
    /// A short line under the heading.
    #[prop(optional)]
    lead: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let labelled_by = id.clone();
    view! {
        <section class=format!("card {class}") aria-labelledby=labelled_by>
            <h2 id=id>{title}</h2>
            {lead.map(|l| view! { <p class="muted">{l}</p> })}
            {children()}
        </section>
    }
}

/// What a list says when it has nothing in it: what will appear here, and how to start.
#[component]
pub fn EmptyState(
    /// Its `id`, for tests.
    id: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="empty-state" id=id>
            {children()}
        </div>
    }
}

/// A neutral notice ("Only owners and admins can …").
#[component]
pub fn Notice(children: Children) -> impl IntoView {
    view! {
        <p class="alert alert-info" role="status">
            {children()}
        </p>
    }
}

/// `view` of a resource's data once it is there; "Loading…" before, the error if it
/// failed. While a reload runs the old view stays (a `Transition`).
#[component]
pub fn Loaded<T, F, V>(
    /// The data.
    resource: Resource<Result<T, AppError>>,
    /// What to show of it.
    view: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=Loading>
            {move || {
                let view = view.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(data) => Either::Left(view(data)),
                        Err(error) => Either::Right(view! { <ErrorPanel error /> }),
                    }
                })
            }}
        </Transition>
    }
}
