//! The call directory: what a call request needs to know about businesses and callers,
//! kept in memory so that setting up a call does not wait on the database.
//!
//! Several answers are cached, each filled on a miss by the function the database path
//! uses: a verified domain name → its business, stored name and the team calls without an
//! intent ring ([`records::verified_domain`]),
//! a caller identity → its card, expiry and email ([`records::caller_until`]; a cached card
//! is still refused from the instant its identity expires), a business and intent → how
//! the call is routed ([`routing_setup::route_for`]), a business and a domain's team → how a
//! call without an intent to that domain is routed ([`routing_setup::domain_team_route`]),
//! and a business and team → the teams
//! a transfer reaches ([`routing_setup::team_route`]; the business's own id names its
//! "everyone" team, which is also the member list accepts and transfers check against:
//! [`CallDirectory::is_member`]), and a business → its opening hours and out-of-office
//! switches ([`schedules::load_snapshot`]; the schedule is cached, never the answer "open
//! now?", which is worked out at each request from the cached schedule), and a business
//! and caller identity → the caller's CRM contact card, or that they match none yet
//! ([`contacts::matching::caller_contact`]; kept right after each call in memory by
//! [`CallDirectory::contact_touched`], so a returning caller's screen pop costs no read).
//!
//! It lives in the server, beside the hub that owns it: `entity` stays free of IO and
//! process state for calls, and offers the functions a miss reads through.
//!
//! **Invalidation** follows the business events ([`EventBus`]): a domain event drops every
//! domain and caller entry (they are rare; subdomains inherit verification, and a domain
//! identity must not outlive its domain); a domain route event drops that business's
//! domains; a member, intent or team event drops that business's routes; a schedule event drops that business's schedule; a contact event
//! drops that contact's cards and the business's "no contact yet" answers (every card of
//! the business when it names the business: its tier rules changed); a subscription that
//! lagged behind drops everything. The directory
//! holds its own subscription and every lookup first applies what is queued on it, so a
//! change published in this process before a lookup starts is never answered stale; the
//! hub's task ([`CallDirectory::follow`]) applies events as they arrive, so entries also go
//! when nobody calls. With a broker behind the bus the same holds across processes, as
//! promptly as the broker delivers.
//!
//! **Races.** A read (a miss, or a refresh) notes its map's generation before the query
//! and installs the answer only if no invalidation happened meanwhile, so an answer read
//! before a change is never installed after that change's invalidation.
//!
//! **Bounds.** Only answers about things that exist are cached — never an unknown domain
//! name or intent id, which callers choose — and a map that reaches its cap is emptied
//! before the next insert (expired caller cards are dropped first). An entry is also read
//! again after [`MAX_AGE`]: a safety net for changes no event reaches this process with
//! (workers run as their own process while the bus is still in-process), not the way
//! changes normally arrive. An entry in use is read again in the background from half
//! to three quarters of that age on (see [`map`]), so the safety net costs the calls
//! nothing.

mod map;

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::calls::protocol::CallerCard;
use entity::calls::records::{self, VerifiedDomain};
use entity::calls::routing::Team;
use entity::contacts::{self, CachedContact, ContactCard};
use entity::domains::DomainName;
use entity::events::{self, BusinessEvent, BusinessEventKind, EventBus, Feed, Received};
use entity::routing_setup::{self, CallRoute, RouteBy, RouteError};
use entity::schedules::{self, ScheduleSnapshot};
use entity::DomainError;
use futures::StreamExt;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use map::{Limits, Lookup, Map};

/// How many entries each map holds at most before it is emptied.
pub const MAX_ENTRIES: usize = 50_000;

/// How long an entry is served before it is read from the database again.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// The teams a call or transfer may reach, by id.
pub type Teams = HashMap<Uuid, Team>;

/// A business and the intent a caller named (if any).
type RouteKey = (Uuid, Option<Uuid>);

/// A business and a caller identity.
type ContactKey = (Uuid, Uuid);

/// A caller identity's card, when the identity expires, and the email the caller left.
type CardUntil = (CallerCard, DateTime<Utc>, Option<String>);

/// A database handle a background refresh can take along.
pub trait SharedDb: ConnectionTrait + Clone + Send + Sync + 'static {}
impl<T: ConnectionTrait + Clone + Send + Sync + 'static> SharedDb for T {}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The caches, shared with the background refreshes.
struct Maps {
    domains: Mutex<Map<String, VerifiedDomain>>,
    callers: Mutex<Map<Uuid, CardUntil>>,
    routes: Mutex<Map<RouteKey, Arc<CallRoute>>>,
    /// A business and a domain's team → the route of a call without an intent.
    domain_routes: Mutex<Map<(Uuid, Uuid), Arc<CallRoute>>>,
    teams: Mutex<Map<(Uuid, Uuid), Arc<Teams>>>,
    schedules: Mutex<Map<Uuid, ScheduleSnapshot>>,
    contacts: Mutex<Map<ContactKey, Option<CachedContact>>>,
}

/// In-memory answers for the call-request path, invalidated by business events. Share it
/// in an [`Arc`]; run [`CallDirectory::follow`] beside it. Lookups must run on a tokio
/// runtime (a refresh is a spawned task).
pub struct CallDirectory {
    maps: Arc<Maps>,
    /// The directory's own subscription, drained before every lookup.
    feed: Mutex<Feed<BusinessEvent>>,
    /// A second subscription, made with the first, that wakes [`CallDirectory::follow`].
    doorbell: Mutex<Option<Feed<BusinessEvent>>>,
}

impl std::fmt::Debug for CallDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let maps = &self.maps;
        f.debug_struct("CallDirectory")
            .field("domains", &lock(&maps.domains).len())
            .field("callers", &lock(&maps.callers).len())
            .field("routes", &lock(&maps.routes).len())
            .field("domain_routes", &lock(&maps.domain_routes).len())
            .field("teams", &lock(&maps.teams).len())
            .field("schedules", &lock(&maps.schedules).len())
            .field("contacts", &lock(&maps.contacts).len())
            .finish_non_exhaustive()
    }
}

impl CallDirectory {
    /// An empty directory following `events` from now on: [`MAX_ENTRIES`] per map, each
    /// served for [`MAX_AGE`].
    #[must_use]
    pub fn new(events: &dyn EventBus) -> Self {
        Self::with_limits(events, MAX_ENTRIES, MAX_AGE)
    }

    /// An empty directory following `events`, holding at most `cap` entries per map, each
    /// served for `max_age` (and refreshed ahead from half to three quarters of it).
    #[must_use]
    pub fn with_limits(events: &dyn EventBus, cap: usize, max_age: Duration) -> Self {
        let limits = Limits::new(cap, max_age);
        let live = |(_, expires_at, _): &CardUntil| *expires_at > Utc::now();
        Self {
            maps: Arc::new(Maps {
                domains: Mutex::new(Map::new(limits)),
                callers: Mutex::new(Map::pruned_by(limits, live)),
                routes: Mutex::new(Map::new(limits)),
                domain_routes: Mutex::new(Map::new(limits)),
                teams: Mutex::new(Map::new(limits)),
                schedules: Mutex::new(Map::new(limits)),
                contacts: Mutex::new(Map::new(limits)),
            }),
            feed: Mutex::new(events.subscribe()),
            doorbell: Mutex::new(Some(events.subscribe())),
        }
    }

    /// The business holding `domain` verified now, with the domain's stored name, as
    /// [`records::verified_business`] answers it. A name nobody holds is not remembered.
    ///
    /// # Errors
    /// A database failure on a miss.
    pub async fn verified_business(
        &self,
        db: &impl SharedDb,
        domain: &DomainName,
    ) -> Result<Option<(Uuid, String)>, DomainError> {
        let found = self.verified_domain(db, domain).await?;
        Ok(found.map(|d| (d.business_id, d.name)))
    }

    /// The verified domain `domain` with its business, stored name and routing team, as
    /// [`records::verified_domain`] answers it. A name nobody holds is not remembered.
    ///
    /// # Errors
    /// A database failure on a miss.
    pub async fn verified_domain(
        &self,
        db: &impl SharedDb,
        domain: &DomainName,
    ) -> Result<Option<VerifiedDomain>, DomainError> {
        self.serve(
            |m| &m.domains,
            domain.as_str(),
            || {
                let (db, domain) = (db.clone(), domain.clone());
                async move { records::verified_domain(&db, &domain).await }
            },
        )
        .await
    }

    /// The card of a live caller identity, as [`records::caller_card`] answers it: `None`
    /// when the identity is gone or has expired by `now` (cached or not).
    ///
    /// # Errors
    /// A database failure on a miss.
    pub async fn caller_card(
        &self,
        db: &impl SharedDb,
        identity_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<CallerCard>, DomainError> {
        Ok(self
            .caller(db, identity_id, now)
            .await?
            .map(|(card, _)| card))
    }

    /// [`Self::caller_card`] with the email the caller left ([`records::caller_until`]),
    /// what a guest's CRM contact is matched by.
    ///
    /// # Errors
    /// A database failure on a miss.
    pub async fn caller(
        &self,
        db: &impl SharedDb,
        identity_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<(CallerCard, Option<String>)>, DomainError> {
        let found = self
            .serve(
                |m| &m.callers,
                &identity_id,
                || {
                    let db = db.clone();
                    async move { records::caller_until(&db, identity_id).await }
                },
            )
            .await?;
        Ok(self.live_card(identity_id, found, now))
    }

    /// The card if its identity is still live at `now`; an expired one is forgotten.
    fn live_card(
        &self,
        identity_id: Uuid,
        found: Option<CardUntil>,
        now: DateTime<Utc>,
    ) -> Option<(CallerCard, Option<String>)> {
        match found {
            Some((card, expires_at, email)) if expires_at > now => Some((card, email)),
            Some(_) => {
                lock(&self.maps.callers).remove(&identity_id);
                None
            }
            None => None,
        }
    }

    /// How a call to `business_id` about `intent` is routed, as
    /// [`routing_setup::route_for`] answers it. An unknown intent is not remembered.
    ///
    /// # Errors
    /// [`RouteError::UnknownIntent`] when `intent` is not one of the business's;
    /// [`RouteError::Db`] on a database failure on a miss.
    pub async fn route_for(
        &self,
        db: &impl SharedDb,
        business_id: Uuid,
        intent: Option<Uuid>,
    ) -> Result<Arc<CallRoute>, RouteError> {
        let found = self
            .serve(
                |m| &m.routes,
                &(business_id, intent),
                || {
                    let db = db.clone();
                    async move {
                        match routing_setup::route_for(&db, business_id, intent).await {
                            Ok(route) => Ok(Some(Arc::new(route))),
                            Err(RouteError::UnknownIntent) => Ok(None),
                            Err(RouteError::Db(e)) => Err(e),
                        }
                    }
                },
            )
            .await?;
        found.ok_or(RouteError::UnknownIntent)
    }

    /// How a call to `business_id` routed `by` ([`routing_setup::route_by`]) is routed:
    /// [`Self::route_for`] for an intent; for a domain's team, as
    /// [`routing_setup::domain_team_route`] answers it (everyone when the team is gone).
    ///
    /// # Errors
    /// As [`Self::route_for`].
    pub async fn call_route(
        &self,
        db: &impl SharedDb,
        business_id: Uuid,
        by: RouteBy,
    ) -> Result<Arc<CallRoute>, RouteError> {
        let team_id = match by {
            RouteBy::Intent(intent) => return self.route_for(db, business_id, intent).await,
            RouteBy::DomainTeam(team_id) => team_id,
        };
        let found = self
            .serve(
                |m| &m.domain_routes,
                &(business_id, team_id),
                || {
                    let db = db.clone();
                    async move {
                        let route =
                            routing_setup::domain_team_route(&db, business_id, team_id).await?;
                        Ok::<_, DbErr>(Some(Arc::new(route)))
                    }
                },
            )
            .await?;
        match found {
            Some(route) => Ok(route),
            None => self.route_for(db, business_id, None).await,
        }
    }

    /// The teams a transfer to `team_id` of `business_id` reaches, as
    /// [`routing_setup::team_route`] answers it (empty, and not remembered, for a team
    /// the business does not have).
    ///
    /// # Errors
    /// A database failure on a miss.
    pub async fn team_route(
        &self,
        db: &impl SharedDb,
        business_id: Uuid,
        team_id: Uuid,
    ) -> Result<Arc<Teams>, DbErr> {
        let found = self
            .serve(
                |m| &m.teams,
                &(business_id, team_id),
                || {
                    let db = db.clone();
                    async move {
                        let teams = routing_setup::team_route(&db, business_id, team_id).await?;
                        Ok::<_, DbErr>((!teams.is_empty()).then(|| Arc::new(teams)))
                    }
                },
            )
            .await?;
        Ok(found.unwrap_or_default())
    }

    /// The opening hours and out-of-office switches of `business_id`, as
    /// [`schedules::load_snapshot`] reads them (a business without any is open around the
    /// clock). Call requests work out "open now?" from it without IO.
    ///
    /// # Errors
    /// A database failure on a miss.
    pub async fn schedule(
        &self,
        db: &impl SharedDb,
        business_id: Uuid,
    ) -> Result<ScheduleSnapshot, DbErr> {
        let found = self
            .serve(
                |m| &m.schedules,
                &business_id,
                || {
                    let db = db.clone();
                    async move { schedules::load_snapshot(&db, business_id).await.map(Some) }
                },
            )
            .await?;
        Ok(found.unwrap_or_default())
    }

    /// The CRM contact card of the caller `identity_id`, matched by `key`, calling
    /// `business_id`, as [`contacts::matching::caller_contact`] reads it; `None` for a
    /// caller who matches no contact (yet). Both answers are remembered.
    ///
    /// # Errors
    /// A database failure on a miss.
    pub async fn contact(
        &self,
        db: &impl SharedDb,
        business_id: Uuid,
        identity_id: Uuid,
        key: &contacts::matching::Key,
    ) -> Result<Option<ContactCard>, DbErr> {
        let found = self
            .serve(
                |m| &m.contacts,
                &(business_id, identity_id),
                || {
                    let (db, key) = (db.clone(), key.clone());
                    async move { contacts::matching::caller_contact(&db, business_id, &key).await }
                },
            )
            .await?;
        Ok(found.flatten().map(|c| c.card))
    }

    /// The caller `identity_id` just requested a call to `business_id` at `at` (the
    /// records writer counts it in the database): a cached card counts it too, and a
    /// cached "no contact yet" is dropped, since the writer is creating one.
    pub fn contact_touched(&self, business_id: Uuid, identity_id: Uuid, at: DateTime<Utc>) {
        let mut map = lock(&self.maps.contacts);
        let key = (business_id, identity_id);
        match map.get_mut(&key) {
            Some(Some(cached)) => cached.touched(at),
            Some(None) => map.remove(&key),
            None => {}
        }
    }

    /// Whether `user_id` is a member of `business_id`, from the business's "everyone"
    /// team ([`Self::team_route`] with the business id): the cached member list, dropped
    /// by every member event, so an accept or a transfer checks membership without a
    /// database read in the common case.
    ///
    /// # Errors
    /// A database failure on a miss.
    pub async fn is_member(
        &self,
        db: &impl SharedDb,
        business_id: Uuid,
        user_id: Uuid,
    ) -> Result<bool, DbErr> {
        let everyone = self.team_route(db, business_id, business_id).await?;
        Ok(everyone
            .get(&business_id)
            .is_some_and(|team| team.members.contains(&user_id)))
    }

    /// Answers `key` from the map `pick` names: from memory while the entry is young; from
    /// memory while `load` reads it again in a spawned task once it is getting old; from
    /// `load` on a miss, remembering what it found (`None` is not remembered). The key is
    /// borrowed: a hit copies nothing.
    async fn serve<K, Q, V, E, F>(
        &self,
        pick: fn(&Maps) -> &Mutex<Map<K, V>>,
        key: &Q,
        load: impl FnOnce() -> F,
    ) -> Result<Option<V>, E>
    where
        K: Borrow<Q> + Eq + Hash + Send + 'static,
        Q: ToOwned<Owned = K> + Eq + Hash + ?Sized,
        V: Clone + Send + 'static,
        E: Display,
        F: Future<Output = Result<Option<V>, E>> + Send + 'static,
    {
        self.catch_up();
        let read = Instant::now();
        let found = lock(pick(&self.maps)).lookup(key, read);
        match found {
            Lookup::Hit(value) => Ok(Some(value)),
            Lookup::Refresh(value, seen) => {
                let (maps, reading, key) = (self.maps.clone(), load(), key.to_owned());
                tokio::spawn(async move {
                    let answer = reading.await.map_err(|e| {
                        tracing::warn!(error = %e, "refreshing a call directory entry failed");
                    });
                    lock(pick(&maps)).refreshed(seen, key, answer, read);
                });
                Ok(Some(value))
            }
            Lookup::Miss(seen) => {
                let answer = load().await?;
                if let Some(value) = &answer {
                    lock(pick(&self.maps)).install(seen, key.to_owned(), value.clone(), read);
                }
                Ok(answer)
            }
        }
    }

    /// Drops what `event` may have made stale.
    pub fn apply(&self, event: &BusinessEvent) {
        use BusinessEventKind as Kind;
        let maps = &self.maps;
        match event.kind {
            Kind::DomainAdded
            | Kind::DomainVerified
            | Kind::DomainRevoked
            | Kind::DomainRemoved => {
                lock(&maps.domains).invalidate(|_, _| false);
                lock(&maps.callers).invalidate(|_, _| false);
            }
            Kind::DomainRouteChanged => {
                let changed = event.business_id;
                lock(&maps.domains).invalidate(|_, d| d.business_id != changed);
            }
            Kind::MemberJoined
            | Kind::MemberRemoved
            | Kind::MemberRoleChanged
            | Kind::IntentsChanged
            | Kind::TeamsChanged => {
                let changed = event.business_id;
                lock(&maps.routes).invalidate(|(business, _), _| *business != changed);
                lock(&maps.domain_routes).invalidate(|(business, _), _| *business != changed);
                lock(&maps.teams).invalidate(|(business, _), _| *business != changed);
            }
            Kind::SchedulesChanged => {
                let changed = event.business_id;
                lock(&maps.schedules).invalidate(|business, _| *business != changed);
            }
            Kind::ContactsChanged => {
                // The subject is a contact, or the business itself (its tier rules).
                let (changed, contact) = (event.business_id, event.subject_id);
                let everyone = contact == changed;
                lock(&maps.contacts).invalidate(|(business, _), cached| {
                    *business != changed
                        || (!everyone && cached.as_ref().is_some_and(|c| c.card.id != contact))
                });
            }
            Kind::InvitationSent
            | Kind::CallbacksChanged
            | Kind::InvitationRevoked
            | Kind::ApiKeyCreated
            | Kind::ApiKeyRevoked
            | Kind::CallRequested
            | Kind::CallAnswered
            | Kind::CallEnded
            | Kind::CallMissed
            | Kind::CallbackRequested
            | Kind::MessageLeft
            | Kind::MessagesChanged
            | Kind::RewardsChanged
            | Kind::CallingBack => {}
        }
    }

    /// Drops everything (events were missed).
    pub fn clear(&self) {
        let maps = &self.maps;
        lock(&maps.domains).invalidate(|_, _| false);
        lock(&maps.callers).invalidate(|_, _| false);
        lock(&maps.routes).invalidate(|_, _| false);
        lock(&maps.domain_routes).invalidate(|_, _| false);
        lock(&maps.teams).invalidate(|_, _| false);
        lock(&maps.schedules).invalidate(|_, _| false);
        lock(&maps.contacts).invalidate(|_, _| false);
    }

    /// Applies every event queued on the directory's own subscription.
    fn catch_up(&self) {
        let mut feed = lock(&self.feed);
        while let Some(received) = events::ready(&mut feed) {
            match received {
                Received::Item(event) => self.apply(&event),
                Received::Missed(missed) => {
                    tracing::warn!(missed, "the call directory missed events; cleared");
                    self.clear();
                }
            }
        }
    }

    /// Applies the followed bus's events as they arrive, until the bus closes (spawn it
    /// once; a second call follows nothing). It listens on the same bus the directory was
    /// made with, so it cannot follow another.
    pub fn follow(self: Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let doorbell = lock(&self.doorbell).take();
        async move {
            let Some(mut doorbell) = doorbell else {
                return;
            };
            while doorbell.next().await.is_some() {
                self.catch_up();
            }
        }
    }
}

#[cfg(test)]
mod db_tests;
#[cfg(test)]
mod prime;
#[cfg(test)]
mod tests;
