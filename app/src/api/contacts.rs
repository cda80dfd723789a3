//! The CRM contacts of the current business (`/app/contacts`): the list with its search
//! and filters, one contact with its timeline, editing, notes and merging. Every member
//! reads, edits and writes notes; owners and admins merge and choose a client type by
//! hand (`entity::contacts` decides, as for GraphQL). Every function is scoped to the
//! business of the session, so another business's contact is simply not found.

use entity::contacts::{ContactView, NoteView, TimelineEntry};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How many contacts the list loads at a time.
pub const CONTACTS_PAGE: u64 = 50;

/// A page of contacts, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactList {
    pub items: Vec<ContactView>,
    /// The cursor of the next page ("Load more"), when there is one.
    pub next: Option<String>,
}

/// The filter of the list page and the CSV export, as typed (see
/// `ContactFilter::from_choices`).
///
/// # Errors
/// `Validation` for an unknown client type or a bad number of days.
#[cfg(feature = "ssr")]
pub fn contact_filter(
    search: Option<&str>,
    client_type: Option<&str>,
    within_days: Option<&str>,
) -> Result<entity::contacts::ContactFilter, entity::DomainError> {
    entity::contacts::ContactFilter::from_choices(
        search,
        client_type,
        within_days,
        chrono::Utc::now(),
    )
    .map_err(|e| entity::DomainError::Validation(vec![e]))
}

/// The business's contacts matching the search (part of a name, email or domain, or a
/// whole tag), the client type and "last contact within `within_days` days"; after
/// `after` (a cursor from the previous page).
#[server(endpoint = "list_contacts")]
pub async fn list_contacts(
    search: Option<String>,
    client_type: Option<String>,
    within_days: Option<String>,
    after: Option<String>,
) -> Result<ContactList, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let filter = contact_filter(
            search.as_deref(),
            client_type.as_deref(),
            within_days.as_deref(),
        )?;
        let after = after
            .filter(|a| !a.trim().is_empty())
            .map(|a| backend::parse_id(&a, "page of contacts"))
            .transpose()?;
        let page =
            entity::contacts::store::list(&services.db, &principal, &filter, after, CONTACTS_PAGE)
                .await?;
        let next = page
            .has_next
            .then(|| page.items.last().map(|c| c.id.to_string()))
            .flatten();
        Ok(ContactList {
            items: page.items,
            next,
        })
    })
    .await
}

/// One contact of the business.
#[server(name = GetContact, endpoint = "contact")]
pub async fn contact(id: String) -> Result<ContactView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "contact")?;
        Ok(entity::contacts::store::get(&services.db, &principal, id).await?)
    })
    .await
}

/// A contact's calls, notes and purchases, newest first.
#[server(endpoint = "contact_timeline")]
pub async fn contact_timeline(id: String) -> Result<Vec<TimelineEntry>, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "contact")?;
        Ok(entity::contacts::notes::timeline(&services.db, &principal, id).await?)
    })
    .await
}

/// Edits a contact: every field of the form is saved (a blank optional one is cleared);
/// `tags` is a comma-separated list. `client_type` (`new`, `repeat`, `premium`, or blank
/// to let the rules decide) is for owners and admins; the form leaves it out for agents.
#[server(endpoint = "update_contact")]
pub async fn update_contact(
    id: String,
    name: String,
    email: String,
    phone: String,
    address: String,
    tags: String,
    client_type: Option<String>,
) -> Result<ContactView, AppError> {
    use crate::backend;
    use entity::contacts::{ClientType, ContactChange};

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&id, "contact")?;
        let client_type = client_type
            .map(|t| match t.trim() {
                "" => Ok(None),
                t => ClientType::parse(t).map(Some).ok_or_else(|| {
                    entity::DomainError::invalid("client_type", "Choose new, repeat or premium.")
                }),
            })
            .transpose()?;
        let change = ContactChange {
            name: Some(name),
            email: Some(email),
            phone: Some(phone),
            address: Some(address),
            tags: Some(tags.split(',').map(str::to_owned).collect()),
            client_type,
        };
        let events = services.events.as_ref();
        Ok(entity::contacts::store::update(&services.db, events, &principal, id, change).await?)
    })
    .await
}

/// Writes a note on a contact.
#[server(endpoint = "add_contact_note")]
pub async fn add_contact_note(contact_id: String, text: String) -> Result<NoteView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let id = backend::parse_id(&contact_id, "contact")?;
        let events = services.events.as_ref();
        Ok(
            entity::contacts::notes::add_note(&services.db, events, &principal, id, &text, None)
                .await?,
        )
    })
    .await
}

/// Merges contact `from` into contact `id` (owners and admins): `from`'s calls, notes and
/// purchases move onto `id`, and `from` is deleted.
#[server(endpoint = "merge_contacts")]
pub async fn merge_contacts(id: String, from: String) -> Result<ContactView, AppError> {
    use crate::backend;

    backend::reply(async move {
        let services = backend::services()?;
        let principal = backend::principal(&services).await?;
        let keep = backend::parse_id(&id, "contact")?;
        let gone = backend::parse_id(&from, "contact")?;
        let events = services.events.as_ref();
        Ok(entity::contacts::merge::merge(&services.db, events, &principal, keep, gone).await?)
    })
    .await
}
