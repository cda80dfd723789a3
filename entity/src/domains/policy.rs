//! When domains are checked and what a check's outcome does to them: pure rules, no IO.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::CheckOutcome;
use crate::types::DomainStatus;

/// How long after being added a pending domain is re-checked automatically.
pub const PENDING_WINDOW: Duration = Duration::from_secs(72 * 3600);

/// The schedule of ownership checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainPolicy {
    /// How often verified domains are checked again (default 24 h).
    pub reverify_interval: Duration,
    /// How often a pending domain is checked while within [`PENDING_WINDOW`] (default 10 min).
    pub pending_interval: Duration,
    /// Consecutive checks finding the record missing before a verified domain is revoked
    /// (default 3).
    pub revoke_after: u32,
}

impl Default for DomainPolicy {
    fn default() -> Self {
        Self {
            reverify_interval: Duration::from_secs(24 * 3600),
            pending_interval: Duration::from_secs(600),
            revoke_after: 3,
        }
    }
}

/// The state of a domain that a check's outcome acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Current {
    pub status: DomainStatus,
    pub failed_checks: i32,
    pub created_at: DateTime<Utc>,
}

/// What a check's outcome changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub status: DomainStatus,
    pub failed_checks: i32,
    pub next_check_at: Option<DateTime<Utc>>,
    /// It was not verified and now is.
    pub became_verified: bool,
    /// It was verified and now is revoked.
    pub became_revoked: bool,
}

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl DomainPolicy {
    /// The first automatic check of a domain added at `created_at`.
    #[must_use]
    pub fn first_check(&self, created_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_pending_check(created_at, created_at)
    }

    /// The next automatic check of a pending domain, or `None` once its window has passed.
    #[must_use]
    pub fn next_pending_check(
        &self,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let next = after(now, self.pending_interval);
        (next <= after(created_at, PENDING_WINDOW)).then_some(next)
    }

    /// The next periodic check of a verified domain.
    #[must_use]
    pub fn next_reverification(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        after(now, self.reverify_interval)
    }

    /// Applies one check's outcome.
    ///
    /// Only a definite answer that the record is missing (no such domain, no TXT record,
    /// another code) counts toward revocation; a timeout or server failure says nothing
    /// about the record, so it neither counts nor resets the count.
    #[must_use]
    pub fn decide(&self, current: Current, outcome: &CheckOutcome, now: DateTime<Utc>) -> Decision {
        use DomainStatus::{Pending, Revoked, Verified};
        let definite_miss = matches!(
            outcome,
            CheckOutcome::NoSuchDomain
                | CheckOutcome::NoTxtRecord
                | CheckOutcome::CodeMismatch { .. }
        );
        let keep = |status, failed_checks, next_check_at| Decision {
            status,
            failed_checks,
            next_check_at,
            became_verified: false,
            became_revoked: false,
        };
        match (current.status, outcome.is_verified()) {
            (status, true) => Decision {
                status: Verified,
                failed_checks: 0,
                next_check_at: Some(self.next_reverification(now)),
                became_verified: status != Verified,
                became_revoked: false,
            },
            (Verified, false) if definite_miss => {
                let failed = current.failed_checks.saturating_add(1);
                let limit = i32::try_from(self.revoke_after.max(1)).unwrap_or(i32::MAX);
                if failed >= limit {
                    Decision {
                        status: Revoked,
                        failed_checks: failed,
                        next_check_at: None,
                        became_verified: false,
                        became_revoked: true,
                    }
                } else {
                    keep(Verified, failed, Some(self.next_reverification(now)))
                }
            }
            (Verified, false) => keep(
                Verified,
                current.failed_checks,
                Some(self.next_reverification(now)),
            ),
            (Pending, false) => keep(Pending, 0, self.next_pending_check(current.created_at, now)),
            (Revoked, false) => keep(Revoked, current.failed_checks, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DomainStatus::{Pending, Revoked, Verified};

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn current(status: DomainStatus, failed_checks: i32) -> Current {
        Current {
            status,
            failed_checks,
            created_at: t(0),
        }
    }

    #[test]
    fn a_matching_record_verifies_from_any_state() {
        let p = DomainPolicy::default();
        for status in [Pending, Verified, Revoked] {
            let d = p.decide(current(status, 2), &CheckOutcome::Verified, t(60));
            assert_eq!(d.status, Verified);
            assert_eq!(d.failed_checks, 0);
            assert_eq!(d.next_check_at, Some(t(60 + 24 * 3600)));
            assert_eq!(d.became_verified, status != Verified);
        }
    }

    #[test]
    fn a_verified_domain_is_revoked_after_the_grace_checks() {
        let p = DomainPolicy::default();
        let mut state = current(Verified, 0);
        for i in 1..=3 {
            let d = p.decide(state, &CheckOutcome::NoTxtRecord, t(i * 100));
            assert_eq!(d.failed_checks, i32::try_from(i).unwrap_or_default());
            assert_eq!(d.became_revoked, i == 3, "check {i}");
            assert_eq!(d.status, if i == 3 { Revoked } else { Verified });
            state.status = d.status;
            state.failed_checks = d.failed_checks;
        }
    }

    #[test]
    fn a_success_in_between_resets_the_count() {
        let p = DomainPolicy::default();
        let d = p.decide(current(Verified, 2), &CheckOutcome::Verified, t(10));
        let d = p.decide(
            current(d.status, d.failed_checks),
            &CheckOutcome::NoSuchDomain,
            t(20),
        );
        assert_eq!((d.status, d.failed_checks), (Verified, 1));
    }

    #[test]
    fn dns_trouble_neither_counts_nor_resets() {
        let p = DomainPolicy::default();
        for outcome in [
            CheckOutcome::Timeout,
            CheckOutcome::ServerFailure("x".into()),
        ] {
            let d = p.decide(current(Verified, 2), &outcome, t(10));
            assert_eq!((d.status, d.failed_checks), (Verified, 2));
            assert!(!d.became_revoked);
        }
    }

    #[test]
    fn a_changed_code_counts_as_missing() {
        let p = DomainPolicy {
            revoke_after: 1,
            ..DomainPolicy::default()
        };
        let miss = CheckOutcome::CodeMismatch {
            found: vec!["domaincall-verify=other".into()],
        };
        let d = p.decide(current(Verified, 0), &miss, t(10));
        assert!(d.became_revoked);
        assert_eq!(d.next_check_at, None);
    }

    #[test]
    fn pending_domains_are_rechecked_for_72_hours_only() {
        let p = DomainPolicy::default();
        assert_eq!(p.first_check(t(0)), Some(t(600)));
        let d = p.decide(current(Pending, 0), &CheckOutcome::NoTxtRecord, t(3600));
        assert_eq!(d.next_check_at, Some(t(4200)));
        let late = t(72 * 3600 - 300);
        let d = p.decide(current(Pending, 0), &CheckOutcome::NoTxtRecord, late);
        assert_eq!((d.status, d.next_check_at), (Pending, None));
    }

    #[test]
    fn revoked_domains_are_not_checked_automatically() {
        let p = DomainPolicy::default();
        let d = p.decide(current(Revoked, 3), &CheckOutcome::NoTxtRecord, t(10));
        assert_eq!((d.status, d.next_check_at), (Revoked, None));
    }
}
