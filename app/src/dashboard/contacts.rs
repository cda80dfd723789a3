//! `/app/contacts`: the people and businesses who call — searched by name, email, domain
//! or tag, filtered by client type and last contact, fifty at a time with "Load more";
//! `/app/contacts/:id` opens one ([`detail`]). The CSV export is a plain download from
//! the server (`/app/contacts.csv`, same filters).
//!
//! The search is a GET form (`?q=…&type=…&last=…`): it works before the page hydrates,
//! and a filtered list can be linked to. "Load more" is a link to the next page
//! (`&after=<cursor>`) that, once hydrated, appends the next page in place instead.

mod detail;

pub use detail::ContactPage;

use entity::contacts::{ClientType, ContactView, LAST_CONTACT_WINDOWS};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::{list_contacts, ContactList};
use crate::ui::{date, Card, Column, DataTable, EmptyState, ErrorPanel, Loaded, PageHeader, Row};

/// Where the list lives.
const PAGE: &str = "/app/contacts";

/// The client types, in order, with their names for people.
const CLIENT_TYPES: [(ClientType, &str); 3] = [
    (ClientType::New, "New"),
    (ClientType::Repeat, "Repeat"),
    (ClientType::Premium, "Premium"),
];

/// A client type's name for people.
pub(crate) fn client_type_label(t: ClientType) -> &'static str {
    CLIENT_TYPES
        .iter()
        .find(|(c, _)| *c == t)
        .map_or("", |(_, label)| *label)
}

/// The badge of a client type.
pub(crate) fn client_type_badge(t: ClientType) -> impl IntoView {
    let class = match t {
        ClientType::New => "badge badge-muted",
        ClientType::Repeat => "badge badge-success",
        ClientType::Premium => "badge badge-warning",
    };
    view! { <span class=class data-client-type=t.as_str()>{client_type_label(t)}</span> }
}

/// ISO 4217 currencies without a minor unit, and those with three decimals.
const NO_DECIMALS: [&str; 17] = [
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DECIMALS: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// An amount in minor units with its currency ("12.00 EUR", "1200 JPY").
pub(crate) fn money(amount_minor: i64, currency: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    if NO_DECIMALS.contains(&currency) {
        format!("{sign}{abs} {currency}")
    } else if THREE_DECIMALS.contains(&currency) {
        format!("{sign}{}.{:03} {currency}", abs / 1000, abs % 1000)
    } else {
        format!("{sign}{}.{:02} {currency}", abs / 100, abs % 100)
    }
}

/// `text` percent-encoded for a query string (everything but RFC 3986's unreserved
/// characters).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// What the search form asks, from the address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Asked {
    search: String,
    client_type: String,
    within_days: String,
    after: Option<String>,
}

impl Asked {
    /// The query string of these filters (without the cursor).
    fn query(&self) -> String {
        let pairs = [
            ("q", &self.search),
            ("type", &self.client_type),
            ("last", &self.within_days),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The address of the CSV of these filters.
    fn csv_href(&self) -> String {
        match self.query() {
            q if q.is_empty() => format!("{PAGE}.csv"),
            q => format!("{PAGE}.csv?{q}"),
        }
    }

    /// The address of the page after `cursor`.
    fn next_href(&self, cursor: &str) -> String {
        match self.query() {
            q if q.is_empty() => format!("{PAGE}?after={}", encode(cursor)),
            q => format!("{PAGE}?{q}&after={}", encode(cursor)),
        }
    }

    fn is_filtered(&self) -> bool {
        !self.query().is_empty()
    }
}

/// The contacts page.
#[component]
pub fn ContactsPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        query.with(|q| Asked {
            search: q.get("q").unwrap_or_default(),
            client_type: q.get("type").unwrap_or_default(),
            within_days: q.get("last").unwrap_or_default(),
            after: q.get("after").filter(|a| !a.is_empty()),
        })
    });
    let first = Resource::new(
        move || asked.get(),
        |a| {
            list_contacts(
                Some(a.search),
                Some(a.client_type),
                Some(a.within_days),
                a.after,
            )
        },
    );
    // Pages appended by "Load more" (hydrated), and the cursor after the last of them;
    // both start again whenever the filters change.
    let more = RwSignal::new(Vec::<ContactView>::new());
    let more_next = RwSignal::new(None::<Option<String>>);
    let loading_more = RwSignal::new(false);
    let more_error = RwSignal::new(None::<crate::error::AppError>);
    Effect::new(move |_| {
        asked.track();
        more.set(Vec::new());
        more_next.set(None);
        more_error.set(None);
    });
    let load_more = move |cursor: String| {
        if loading_more.get_untracked() {
            return;
        }
        loading_more.set(true);
        let a = asked.get_untracked();
        leptos::task::spawn_local(async move {
            let page = list_contacts(
                Some(a.search),
                Some(a.client_type),
                Some(a.within_days),
                Some(cursor),
            )
            .await;
            match page {
                Ok(page) => {
                    more.update(|m| m.extend(page.items));
                    more_next.set(Some(page.next));
                    more_error.set(None);
                }
                Err(e) => more_error.set(Some(e)),
            }
            loading_more.set(false);
        });
    };

    view! {
        <Title text="Contacts" />
        <PageHeader
            title="Contacts"
            lead="The people and businesses who call you: every caller with a verified domain or an email becomes a contact, with their calls, notes and purchases."
        >
            <a
                class="btn page-action"
                id="export-contacts"
                href=move || asked.with(Asked::csv_href)
            >
                "Export CSV"
            </a>
        </PageHeader>
        {move || view! { <SearchForm asked=asked.get() /> }}
        <Card title="All contacts" id="contacts-title">
            <Loaded
                resource=first
                view={move |page: ContactList| {
                    let filtered = asked.with_untracked(Asked::is_filtered);
                    if page.items.is_empty() {
                        return Either::Left(view! { <NoContacts filtered /> });
                    }
                    let first_items = page.items;
                    let first_next = page.next;
                    Either::Right(view! {
                        {move || {
                            let mut list = first_items.clone();
                            list.extend(more.get());
                            view! { <ContactsTable list /> }
                        }}
                        {move || more_error.get().map(|error| view! { <ErrorPanel error /> })}
                        {move || {
                            let next = more_next.get().unwrap_or_else(|| first_next.clone());
                            next.map(|cursor| {
                                let href = asked.with_untracked(|a| a.next_href(&cursor));
                                view! {
                                    <p class="load-more">
                                        <a
                                            class="btn"
                                            id="load-more-contacts"
                                            href=href
                                            aria-busy=move || loading_more.get().then_some("true")
                                            on:click=move |ev| {
                                                ev.prevent_default();
                                                load_more(cursor.clone());
                                            }
                                        >
                                            {move || if loading_more.get() { "Loading…" } else { "Load more" }}
                                        </a>
                                    </p>
                                }
                            })
                        }}
                    })
                }}
            />
        </Card>
    }
}

/// The search box and filters, as a GET form.
#[component]
fn SearchForm(asked: Asked) -> impl IntoView {
    let types = CLIENT_TYPES
        .iter()
        .map(|(t, label)| {
            let selected = asked.client_type == t.as_str();
            view! { <option value=t.as_str() selected=selected>{*label}</option> }
        })
        .collect_view();
    let windows = LAST_CONTACT_WINDOWS
        .iter()
        .map(|d| {
            let value = d.to_string();
            let selected = asked.within_days == value;
            view! { <option value=value selected=selected>{format!("Within {d} days")}</option> }
        })
        .collect_view();
    view! {
        <section class="card" aria-label="Search contacts">
            <Form method="GET" action=PAGE noscroll=true>
                <div class="form form-row" role="search">
                    <div class="field">
                        <label for="contacts-search">"Search"</label>
                        <input
                            id="contacts-search"
                            name="q"
                            type="search"
                            placeholder="Name, email, domain or tag"
                            value=asked.search.clone()
                        />
                    </div>
                    <div class="field field-narrow">
                        <label for="contacts-type">"Client type"</label>
                        <select id="contacts-type" name="type">
                            <option value="" selected=asked.client_type.is_empty()>"Any"</option>
                            {types}
                        </select>
                    </div>
                    <div class="field field-narrow">
                        <label for="contacts-last">"Last contact"</label>
                        <select id="contacts-last" name="last">
                            <option value="" selected=asked.within_days.is_empty()>"Any time"</option>
                            {windows}
                        </select>
                    </div>
                    <div class="field field-action">
                        <button type="submit" class="btn btn-primary" id="search-contacts">"Search"</button>
                        {asked.is_filtered().then(|| view! {
                            <a class="btn btn-ghost" href=PAGE id="clear-contact-search">"Clear"</a>
                        })}
                    </div>
                </div>
            </Form>
        </section>
    }
}

/// What the list says when it is empty.
#[component]
fn NoContacts(filtered: bool) -> impl IntoView {
    if filtered {
        return Either::Left(view! {
            <EmptyState id="no-contacts">
                <p>"No contact matches this search. " <a href=PAGE>"Show all contacts"</a></p>
            </EmptyState>
        });
    }
    Either::Right(view! {
        <EmptyState id="no-contacts">
            <p>
                <strong>"No contacts yet"</strong>
                " — every caller who calls as a verified domain or leaves an email becomes a contact here, and integrations add buyers when they record purchases."
            </p>
        </EmptyState>
    })
}

const CONTACT_COLUMNS: [Column; 6] = [
    Column::new("Name").class("wrap"),
    Column::new("Email or domain").class("wrap"),
    Column::new("Client type"),
    Column::new("Last contact").class("nowrap"),
    Column::new("Calls").class("num"),
    Column::new("Purchases").class("num nowrap"),
];

/// The contacts, each name a link to its page.
#[component]
fn ContactsTable(list: Vec<ContactView>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|c| {
            let href = format!("{PAGE}/{}", c.id);
            let reach = [c.email.clone(), c.caller_domain.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            let tags = (!c.tags.is_empty()).then(|| {
                view! { <span class="muted small contact-tags">{c.tags.join(", ")}</span> }
            });
            Row::new(vec![
                view! { <a href=href class="contact-link">{c.name.clone()}</a> " " {tags} }
                    .into_any(),
                reach.into_any(),
                client_type_badge(c.client_type).into_any(),
                c.last_contact_at
                    .as_ref()
                    .map_or_else(|| "Never".to_owned(), date)
                    .into_any(),
                c.call_count.to_string().into_any(),
                c.purchase_total
                    .as_ref()
                    .map_or_else(
                        || "\u{2014}".to_owned(),
                        |m| money(m.amount_minor, &m.currency),
                    )
                    .into_any(),
            ])
            .data("data-contact", c.id.to_string())
        })
        .collect();
    view! {
        <DataTable id="contacts-table" columns=CONTACT_COLUMNS.to_vec() rows caption="Contacts" />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_make_links() {
        let a = Asked {
            search: "Zoë & co".to_owned(),
            client_type: "premium".to_owned(),
            within_days: String::new(),
            after: None,
        };
        assert_eq!(
            a.csv_href(),
            "/app/contacts.csv?q=Zo%C3%AB%20%26%20co&type=premium"
        );
        assert_eq!(
            a.next_href("abc"),
            "/app/contacts?q=Zo%C3%AB%20%26%20co&type=premium&after=abc"
        );
        assert_eq!(Asked::default().csv_href(), "/app/contacts.csv");
        assert!(!Asked::default().is_filtered());
    }

    #[test]
    fn amounts_have_their_currencys_decimals() {
        assert_eq!(money(1200, "EUR"), "12.00 EUR");
        assert_eq!(money(5, "USD"), "0.05 USD");
        assert_eq!(money(-250, "EUR"), "-2.50 EUR");
        assert_eq!(money(1200, "JPY"), "1200 JPY");
        assert_eq!(money(1500, "KWD"), "1.500 KWD");
    }
}
