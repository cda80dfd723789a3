//! The contact card shown on a ringing device (the screen pop): what an agent sees about
//! the caller before answering. It rides inside `incoming` and is cached by the call
//! directory per (business, caller identity); [`CachedContact::touched`] keeps a cached
//! card right after each call without reading the database again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tiers::{ClientType, Money, PurchaseTotals, TierRules};

/// The latest purchase as shown on the card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseSummary {
    pub product: String,
    pub amount_minor: i64,
    pub currency: String,
    pub purchased_at: DateTime<Utc>,
}

/// A known caller, as of the moment the call was requested (this call not counted yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    /// The contact's id (for the dashboard's contact page).
    pub id: Uuid,
    /// The contact's name (their domain or email until someone names them).
    pub name: String,
    pub client_type: ClientType,
    /// The last call or contact before this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact_at: Option<DateTime<Utc>>,
    /// Calls before this one.
    pub call_count: i64,
    /// Purchases in their main currency (the one most of them are in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_total: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_purchase: Option<PurchaseSummary>,
    /// The text of the newest note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_note: Option<String>,
}

/// A card with what it takes to keep it right after a call: the tier set by hand, the
/// purchase totals and the business's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedContact {
    pub card: ContactCard,
    pub chosen: Option<ClientType>,
    pub totals: PurchaseTotals,
    pub rules: TierRules,
}

impl CachedContact {
    /// The card after one more call at `at`: counted, the last contact moved on and the
    /// tier worked out again (a second call makes a new client a repeat one).
    pub fn touched(&mut self, at: DateTime<Utc>) {
        self.card.call_count = self.card.call_count.saturating_add(1);
        if self.card.last_contact_at.is_none_or(|last| last < at) {
            self.card.last_contact_at = Some(at);
        }
        self.card.client_type =
            self.rules
                .classify(self.chosen, self.card.call_count, &self.totals);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_counts_and_may_change_the_tier() {
        let at = Utc::now();
        let mut cached = CachedContact {
            card: ContactCard {
                id: Uuid::nil(),
                name: "acme.com".into(),
                client_type: ClientType::New,
                last_contact_at: None,
                call_count: 1,
                purchase_total: None,
                latest_purchase: None,
                latest_note: None,
            },
            chosen: None,
            totals: PurchaseTotals::default(),
            rules: TierRules::DEFAULT,
        };
        cached.touched(at);
        assert_eq!(cached.card.call_count, 2);
        assert_eq!(cached.card.last_contact_at, Some(at));
        assert_eq!(cached.card.client_type, ClientType::Repeat);
        // An older instant does not move the last contact back.
        cached.touched(at - chrono::Duration::minutes(1));
        assert_eq!(cached.card.last_contact_at, Some(at));
        cached.chosen = Some(ClientType::New);
        cached.touched(at);
        assert_eq!(cached.card.client_type, ClientType::New);
    }
}
