//! Contacts as a CSV file (the dashboard's "Export CSV").
//!
//! Quoting and formula neutralisation follow [`crate::csv`].
//!
//! The rows are built here, pure and unit-tested; [`export`] reads them, and the server's
//! `GET /app/contacts.csv` only adds the headers.

use super::views::ContactView;
pub use crate::csv::cell;
use crate::csv::line;

/// The header line's cells, in order.
pub const COLUMNS: [&str; 15] = [
    "id",
    "name",
    "email",
    "phone",
    "address",
    "caller_domain",
    "tags",
    "client_type",
    "client_type_override",
    "first_seen_at",
    "last_contact_at",
    "call_count",
    "purchase_total_minor",
    "purchase_currency",
    "updated_at",
];

/// The most contacts one export holds.
pub const MAX_EXPORT: usize = 50_000;

/// The header line.
#[must_use]
pub fn header() -> String {
    line(COLUMNS)
}

/// A contact's line, its cells in [`COLUMNS`]' order (times in RFC 3339, UTC; tags
/// separated by `;`; the purchase total in the currency's minor unit).
#[must_use]
pub fn row(c: &ContactView) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    line([
        c.id.to_string(),
        c.name.clone(),
        opt(&c.email),
        opt(&c.phone),
        opt(&c.address),
        opt(&c.caller_domain),
        c.tags.join(";"),
        c.client_type.as_str().to_owned(),
        c.client_type_override
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        c.first_seen_at.to_rfc3339(),
        c.last_contact_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
        c.call_count.to_string(),
        c.purchase_total
            .as_ref()
            .map(|m| m.amount_minor.to_string())
            .unwrap_or_default(),
        c.purchase_total
            .as_ref()
            .map(|m| m.currency.clone())
            .unwrap_or_default(),
        c.updated_at.to_rfc3339(),
    ])
}

/// The whole file: the header, then one line per contact.
#[must_use]
pub fn csv(contacts: &[ContactView]) -> String {
    let mut out = header();
    for c in contacts {
        out.push_str(&row(c));
    }
    out
}

/// The CSV of the principal's business's contacts matching `filter`, newest first (at
/// most [`MAX_EXPORT`]).
///
/// # Errors
/// Database failures.
#[cfg(feature = "db")]
pub async fn export(
    db: &impl sea_orm::ConnectionTrait,
    principal: &crate::auth::Principal,
    filter: &super::views::ContactFilter,
) -> Result<String, crate::DomainError> {
    let mut contacts: Vec<ContactView> = Vec::new();
    let mut after = None;
    loop {
        let page = super::store::list(db, principal, filter, after, super::store::MAX_PAGE).await?;
        after = page.items.last().map(|c| c.id);
        contacts.extend(page.items);
        if !page.has_next || after.is_none() || contacts.len() >= MAX_EXPORT {
            break;
        }
    }
    contacts.truncate(MAX_EXPORT);
    Ok(csv(&contacts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{ClientType, Money};
    use chrono::{TimeZone, Utc};

    fn contact(name: &str) -> ContactView {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
            .single()
            .unwrap_or_default();
        ContactView {
            id: uuid::Uuid::nil(),
            name: name.to_owned(),
            email: Some("ann@example.com".to_owned()),
            phone: None,
            address: Some("1 Main St, Springfield".to_owned()),
            caller_domain: None,
            tags: vec!["vip".to_owned(), "wholesale".to_owned()],
            client_type: ClientType::Premium,
            client_type_override: Some(ClientType::Premium),
            first_seen_at: at,
            last_contact_at: None,
            call_count: 3,
            purchase_total: Some(Money {
                amount_minor: 1200,
                currency: "EUR".to_owned(),
            }),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_row_follows_the_header() {
        let header = header();
        assert!(header.starts_with("id,name,email,"), "{header}");
        assert!(header.ends_with("updated_at\r\n"));
        let line = row(&contact("=cmd|' /C calc'!A0"));
        assert_eq!(
            line,
            "00000000-0000-0000-0000-000000000000,'=cmd|' /C calc'!A0,ann@example.com,,\
             \"1 Main St, Springfield\",,vip;wholesale,premium,premium,\
             2026-12-01T10:00:00+00:00,,3,1200,EUR,2026-12-01T10:00:00+00:00\r\n"
        );
        assert_eq!(
            line.matches(',').count() - 1,
            COLUMNS.len() - 1,
            "one cell per column (the address holds one quoted comma)"
        );
        let all = csv(&[contact("Ann"), contact("Bob")]);
        assert_eq!(all.lines().count(), 3);
        assert!(all.starts_with(&header));
    }
}
