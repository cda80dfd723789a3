//! Answers installed as if a miss had read them: the engine's tests run on a directory
//! that never needs its database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use entity::calls::protocol::CallerCard;
use entity::calls::routing::Team;
use entity::domains::DomainName;
use entity::routing_setup::CallRoute;
use uuid::Uuid;

use super::map::Map;
use super::{lock, CallDirectory};

impl CallDirectory {
    fn prime<K: Eq + Hash, V: Clone>(map: &Mutex<Map<K, V>>, key: K, value: V) {
        let mut map = lock(map);
        let seen = map.generation();
        map.install(seen, key, value, Instant::now());
    }

    /// `domain` is verified by `business_id`.
    pub(crate) fn prime_domain(&self, domain: &DomainName, business_id: Uuid) {
        let name = domain.as_str().to_owned();
        let domain = entity::calls::records::VerifiedDomain {
            business_id,
            name: name.clone(),
            route_team_id: None,
        };
        Self::prime(&self.maps.domains, name, domain);
    }

    /// Caller identity `identity_id` is shown as `card` until `expires_at`.
    pub(crate) fn prime_caller(
        &self,
        identity_id: Uuid,
        card: CallerCard,
        expires_at: DateTime<Utc>,
    ) {
        Self::prime(&self.maps.callers, identity_id, (card, expires_at, None));
    }

    /// Business `business_id` has these opening hours (the default: none, always open).
    pub(crate) fn prime_schedule(
        &self,
        business_id: Uuid,
        schedule: entity::schedules::ScheduleSnapshot,
    ) {
        Self::prime(&self.maps.schedules, business_id, schedule);
    }

    /// Caller identity `identity_id` calling `business_id` is this contact (or none).
    pub(crate) fn prime_contact(
        &self,
        business_id: Uuid,
        identity_id: Uuid,
        contact: Option<entity::contacts::CachedContact>,
    ) {
        Self::prime(&self.maps.contacts, (business_id, identity_id), contact);
    }

    /// Business `business_id` has these members, and a call without an intent rings
    /// them all.
    pub(crate) fn prime_members(&self, business_id: Uuid, members: Vec<Uuid>) {
        let everyone = HashMap::from([(business_id, Team::new(business_id, members))]);
        let route = CallRoute {
            intent: None,
            target: entity::calls::RingTarget::Team(business_id),
            teams: everyone.clone(),
        };
        Self::prime(&self.maps.routes, (business_id, None), Arc::new(route));
        Self::prime(
            &self.maps.teams,
            (business_id, business_id),
            Arc::new(everyone),
        );
    }
}
