//! Client types: the tier a contact is in, from the default rules or set by hand.
//!
//! The rules, with their defaults ([`TierRules::DEFAULT`]; a business may set its own
//! thresholds):
//! - **premium**: at least [`TierRules::premium_calls`] calls (10), or purchases totalling
//!   at least [`TierRules::premium_total_minor`] (100 000 minor units, e.g. 1 000.00 EUR)
//!   in the contact's main currency — the currency of most of their purchases (the larger
//!   total on a tie, then the first alphabetically), so amounts in different currencies
//!   are never added up;
//! - **repeat**: at least [`TierRules::repeat_calls`] calls (2), or any purchase;
//! - **new**: everyone else (fewer calls, nothing bought).
//!
//! An owner may set a contact's type by hand; that override wins until cleared.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A contact's tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    New,
    Repeat,
    Premium,
}

impl ClientType {
    /// Its stored and wire form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Repeat => "repeat",
            Self::Premium => "premium",
        }
    }

    /// The type a stored form names (`None` for anything else).
    #[must_use]
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "new" => Some(Self::New),
            "repeat" => Some(Self::Repeat),
            "premium" => Some(Self::Premium),
            _ => None,
        }
    }
}

impl fmt::Display for ClientType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of one currency, in its minor unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    /// ISO 4217 (`EUR`).
    pub currency: String,
}

impl Money {
    /// The amount as people read it: `EUR 12.50`, `JPY 1200` (currencies without a minor
    /// unit shown whole).
    #[must_use]
    pub fn display(&self) -> String {
        format_money(self.amount_minor, &self.currency)
    }
}

/// `amount_minor` of `currency` as people read it: `EUR 12.50`, `JPY 1200`.
#[must_use]
pub fn format_money(amount_minor: i64, currency: &str) -> String {
    // ISO 4217 currencies whose minor unit is the unit itself.
    const WHOLE: [&str; 16] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF",
    ];
    if WHOLE.contains(&currency) {
        return format!("{currency} {amount_minor}");
    }
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    format!("{currency} {sign}{}.{:02}", abs / 100, abs % 100)
}

/// What the rules look at besides the call count: a contact's purchases, summed per
/// currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurchaseTotals {
    /// Per currency: (how many purchases, their total in minor units).
    by_currency: BTreeMap<String, (u64, i64)>,
}

impl PurchaseTotals {
    /// Adds one purchase.
    pub fn add(&mut self, currency: &str, amount_minor: i64) {
        let entry = self.by_currency.entry(currency.to_owned()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.saturating_add(amount_minor);
    }

    /// Whether there is any purchase.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_currency.is_empty()
    }

    /// The total in the main currency: the one with most purchases (then the larger total,
    /// then the first alphabetically); `None` without purchases.
    #[must_use]
    pub fn main(&self) -> Option<Money> {
        self.by_currency
            .iter()
            // `max_by` keeps the last of equals: iterate backwards so the first
            // alphabetically wins a full tie.
            .rev()
            .max_by(|a, b| (a.1 .0, a.1 .1).cmp(&(b.1 .0, b.1 .1)))
            .map(|(currency, (_, total))| Money {
                amount_minor: *total,
                currency: currency.clone(),
            })
    }
}

/// The thresholds of the tiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRules {
    /// Calls that make a contact a repeat client.
    pub repeat_calls: i64,
    /// Calls that make a contact premium.
    pub premium_calls: i64,
    /// A total in the main currency (minor units) that makes a contact premium.
    pub premium_total_minor: i64,
}

impl TierRules {
    /// Repeat from 2 calls; premium from 10 calls or 100 000 minor units (1 000.00 in a
    /// two-decimal currency).
    pub const DEFAULT: Self = Self {
        repeat_calls: 2,
        premium_calls: 10,
        premium_total_minor: 100_000,
    };

    /// The tier of a contact with `call_count` calls and `totals` bought; `chosen` (set
    /// by hand) wins.
    #[must_use]
    pub fn classify(
        &self,
        chosen: Option<ClientType>,
        call_count: i64,
        totals: &PurchaseTotals,
    ) -> ClientType {
        if let Some(chosen) = chosen {
            return chosen;
        }
        let main = totals.main().map_or(0, |m| m.amount_minor);
        if call_count >= self.premium_calls || main >= self.premium_total_minor {
            ClientType::Premium
        } else if call_count >= self.repeat_calls || !totals.is_empty() {
            ClientType::Repeat
        } else {
            ClientType::New
        }
    }
}

impl TierRules {
    /// Rules as a business sets them.
    ///
    /// # Errors
    /// A message when the thresholds are not `1 ≤ repeat calls ≤ premium calls` and a
    /// positive premium total.
    pub fn new(
        repeat_calls: i64,
        premium_calls: i64,
        premium_total_minor: i64,
    ) -> Result<Self, crate::types::FieldError> {
        let error = |field: &str, message: &str| crate::types::FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        };
        if repeat_calls < 1 {
            return Err(error(
                "repeatCalls",
                "A repeat client has made at least one call.",
            ));
        }
        if premium_calls < repeat_calls {
            return Err(error(
                "premiumCalls",
                "Premium takes at least as many calls as repeat.",
            ));
        }
        if premium_total_minor < 1 {
            return Err(error(
                "premiumTotalMinor",
                "The premium total must be positive.",
            ));
        }
        Ok(Self {
            repeat_calls,
            premium_calls,
            premium_total_minor,
        })
    }
}

impl Default for TierRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_reads_like_money() {
        assert_eq!(super::format_money(1250, "EUR"), "EUR 12.50");
        assert_eq!(super::format_money(-5, "USD"), "USD -0.05");
        assert_eq!(super::format_money(1200, "JPY"), "JPY 1200");
    }

    use super::*;

    fn totals(items: &[(&str, i64)]) -> PurchaseTotals {
        let mut t = PurchaseTotals::default();
        for (c, a) in items {
            t.add(c, *a);
        }
        t
    }

    #[test]
    fn default_tiers_follow_calls_and_purchases() {
        let rules = TierRules::DEFAULT;
        let none = PurchaseTotals::default();
        assert_eq!(rules.classify(None, 0, &none), ClientType::New);
        assert_eq!(rules.classify(None, 1, &none), ClientType::New);
        assert_eq!(rules.classify(None, 2, &none), ClientType::Repeat);
        assert_eq!(rules.classify(None, 9, &none), ClientType::Repeat);
        assert_eq!(rules.classify(None, 10, &none), ClientType::Premium);
        // One small purchase makes a first-time caller a repeat client.
        assert_eq!(
            rules.classify(None, 1, &totals(&[("EUR", 500)])),
            ClientType::Repeat
        );
        assert_eq!(
            rules.classify(None, 0, &totals(&[("EUR", 60_000), ("EUR", 40_000)])),
            ClientType::Premium
        );
        assert_eq!(
            rules.classify(None, 0, &totals(&[("EUR", 99_999)])),
            ClientType::Repeat
        );
    }

    #[test]
    fn currencies_are_never_added_together() {
        let rules = TierRules::DEFAULT;
        // 60 000 EUR-cents and 60 000 USD-cents are not 1 200.00 of anything.
        let mixed = totals(&[("EUR", 60_000), ("USD", 60_000)]);
        assert_eq!(rules.classify(None, 1, &mixed), ClientType::Repeat);
        // The main currency is the most used one, even with a smaller total.
        let main = totals(&[("USD", 1_000), ("USD", 1_000), ("EUR", 500_000)]).main();
        assert_eq!(
            main,
            Some(Money {
                amount_minor: 2_000,
                currency: "USD".into()
            })
        );
        // A full tie goes to the first alphabetically.
        let tie = totals(&[("USD", 100), ("EUR", 100)]).main();
        assert_eq!(tie.map(|m| m.currency), Some("EUR".into()));
    }

    #[test]
    fn a_business_sets_its_own_thresholds() {
        let strict = TierRules::new(3, 5, 50_000).unwrap_or_default();
        let none = PurchaseTotals::default();
        assert_eq!(strict.classify(None, 2, &none), ClientType::New);
        assert_eq!(strict.classify(None, 3, &none), ClientType::Repeat);
        assert_eq!(strict.classify(None, 5, &none), ClientType::Premium);
        assert_eq!(
            strict.classify(None, 0, &totals(&[("EUR", 50_000)])),
            ClientType::Premium
        );
        assert!(TierRules::new(0, 5, 1).is_err());
        assert!(TierRules::new(6, 5, 1).is_err());
        assert!(TierRules::new(2, 5, 0).is_err());
    }

    #[test]
    fn a_chosen_type_wins() {
        let rules = TierRules::DEFAULT;
        let big = totals(&[("EUR", 1_000_000)]);
        assert_eq!(
            rules.classify(Some(ClientType::New), 50, &big),
            ClientType::New
        );
        assert_eq!(
            rules.classify(Some(ClientType::Premium), 0, &PurchaseTotals::default()),
            ClientType::Premium
        );
    }

    #[test]
    fn stored_forms_round_trip() {
        for t in [ClientType::New, ClientType::Repeat, ClientType::Premium] {
            assert_eq!(ClientType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ClientType::parse("gold"), None);
    }
}
