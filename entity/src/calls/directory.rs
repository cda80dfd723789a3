//! The call directory: what a call request needs to know about businesses and callers,
//! kept in memory so that setting up a call does not wait on the database.
//!
//! Four answers are cached, each filled on a miss by the function the database path uses:
//! a verified domain name → its business and stored name ([`records::verified_business`]),
//! a caller identity → its card and expiry ([`records::caller_card_until`]; a cached card
//! is still refused from the instant its identity expires), a business and intent → how
//! the call is routed ([`routing_setup::route_for`]), and a business and team → the teams
//! a transfer reaches ([`routing_setup::team_route`]; the business's own id names its
//! "everyone" team, which is also the member list accepts and transfers check against:
//! [`CallDirectory::is_member`]).
//!
//! **Invalidation** follows the business events ([`EventBus`]): a domain event drops every
//! domain and caller entry (they are rare; subdomains inherit verification, and a domain
//! identity must not outlive its domain); a member, intent or team event drops that
//! business's routes; a subscription that lagged behind drops everything. The directory
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
use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use uuid::Uuid;

use crate::calls::protocol::CallerCard;
use crate::calls::records;
use crate::calls::routing::Team;
use crate::domains::DomainName;
use crate::events::{BusinessEvent, BusinessEventKind, EventBus};
use crate::routing_setup::{self, CallRoute, RouteError};
use crate::DomainError;
use map::{Limits, Lookup, Map};

/// How many entries each map holds at most before it is emptied.
pub const MAX_ENTRIES: usize = 50_000;

/// How long an entry is served before it is read from the database again.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// The teams a call or transfer may reach, by id.
pub type Teams = HashMap<Uuid, Team>;

/// A business and the intent a caller named (if any).
type RouteKey = (Uuid, Option<Uuid>);

/// A caller identity's card and when the identity expires.
type CardUntil = (CallerCard, DateTime<Utc>);

/// A database handle a background refresh can take along.
pub trait SharedDb: ConnectionTrait + Clone + Send + Sync + 'static {}
impl<T: ConnectionTrait + Clone + Send + Sync + 'static> SharedDb for T {}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The four caches, shared with the background refreshes.
struct Maps {
    domains: Mutex<Map<String, (Uuid, String)>>,
    callers: Mutex<Map<Uuid, CardUntil>>,
    routes: Mutex<Map<RouteKey, Arc<CallRoute>>>,
    teams: Mutex<Map<(Uuid, Uuid), Arc<Teams>>>,
}

/// In-memory answers for the call-request path, invalidated by business events. Share it
/// in an [`Arc`]; run [`CallDirectory::follow`] beside it. Lookups must run on a tokio
/// runtime (a refresh is a spawned task).
pub struct CallDirectory {
    maps: Arc<Maps>,
    /// The directory's own subscription, drained before every lookup.
    feed: Mutex<broadcast::Receiver<BusinessEvent>>,
}

impl std::fmt::Debug for CallDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let maps = &self.maps;
        f.debug_struct("CallDirectory")
            .field("domains", &lock(&maps.domains).len())
            .field("callers", &lock(&maps.callers).len())
            .field("routes", &lock(&maps.routes).len())
            .field("teams", &lock(&maps.teams).len())
            .finish_non_exhaustive()
    }
}

impl CallDirectory {
    /// An empty directory following `events` from now on: [`MAX_ENTRIES`] per map, each
    /// served for [`MAX_AGE`].
    #[must_use]
    pub fn new(events: &EventBus) -> Self {
        Self::with_limits(events, MAX_ENTRIES, MAX_AGE)
    }

    /// An empty directory following `events`, holding at most `cap` entries per map, each
    /// served for `max_age` (and refreshed ahead from half to three quarters of it).
    #[must_use]
    pub fn with_limits(events: &EventBus, cap: usize, max_age: Duration) -> Self {
        let limits = Limits::new(cap, max_age);
        let live = |(_, expires_at): &CardUntil| *expires_at > Utc::now();
        Self {
            maps: Arc::new(Maps {
                domains: Mutex::new(Map::new(limits)),
                callers: Mutex::new(Map::pruned_by(limits, live)),
                routes: Mutex::new(Map::new(limits)),
                teams: Mutex::new(Map::new(limits)),
            }),
            feed: Mutex::new(events.subscribe()),
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
        self.serve(
            |m| &m.domains,
            domain.as_str(),
            || {
                let (db, domain) = (db.clone(), domain.clone());
                async move { records::verified_business(&db, &domain).await }
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
        let found = self
            .serve(
                |m| &m.callers,
                &identity_id,
                || {
                    let db = db.clone();
                    async move { records::caller_card_until(&db, identity_id).await }
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
    ) -> Option<CallerCard> {
        match found {
            Some((card, expires_at)) if expires_at > now => Some(card),
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
            Kind::MemberJoined
            | Kind::MemberRemoved
            | Kind::MemberRoleChanged
            | Kind::IntentsChanged
            | Kind::TeamsChanged => {
                let changed = event.business_id;
                lock(&maps.routes).invalidate(|(business, _), _| *business != changed);
                lock(&maps.teams).invalidate(|(business, _), _| *business != changed);
            }
            Kind::InvitationSent
            | Kind::InvitationRevoked
            | Kind::ApiKeyCreated
            | Kind::ApiKeyRevoked
            | Kind::SchedulesChanged => {}
        }
    }

    /// Drops everything (events were missed).
    pub fn clear(&self) {
        let maps = &self.maps;
        lock(&maps.domains).invalidate(|_, _| false);
        lock(&maps.callers).invalidate(|_, _| false);
        lock(&maps.routes).invalidate(|_, _| false);
        lock(&maps.teams).invalidate(|_, _| false);
    }

    /// Applies every event queued on the directory's own subscription.
    fn catch_up(&self) {
        let mut feed = lock(&self.feed);
        loop {
            match feed.try_recv() {
                Ok(event) => self.apply(&event),
                Err(TryRecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the call directory missed events; cleared");
                    self.clear();
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }

    /// Applies the followed bus's events as they arrive, until the bus closes (spawn it
    /// once). It listens on the same bus the directory was made with, so it cannot follow
    /// another.
    pub fn follow(self: Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let mut doorbell = lock(&self.feed).resubscribe();
        async move {
            loop {
                match doorbell.recv().await {
                    Ok(_) | Err(RecvError::Lagged(_)) => self.catch_up(),
                    Err(RecvError::Closed) => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::RingTarget;

    fn route(business_id: Uuid) -> Arc<CallRoute> {
        Arc::new(CallRoute {
            intent: None,
            target: RingTarget::Team(business_id),
            teams: HashMap::from([(business_id, Team::new(business_id, vec![]))]),
        })
    }

    fn card(name: &str) -> CallerCard {
        CallerCard {
            name: name.to_owned(),
            verified: false,
            domain: None,
        }
    }

    fn event(business_id: Uuid, kind: BusinessEventKind) -> BusinessEvent {
        BusinessEvent {
            business_id,
            kind,
            subject_id: Uuid::new_v4(),
        }
    }

    /// Whether the lookup found an answer to serve.
    fn served<V>(found: &Lookup<V>) -> bool {
        matches!(found, Lookup::Hit(_) | Lookup::Refresh(..))
    }

    /// Installs a route for `business_id` (no intent) as a miss starting now would.
    fn fill_route(directory: &CallDirectory, business_id: Uuid) {
        let mut routes = lock(&directory.maps.routes);
        let seen = routes.generation();
        let installed = routes.install(
            seen,
            (business_id, None),
            route(business_id),
            Instant::now(),
        );
        assert!(installed);
    }

    /// Whether a lookup now would answer `business_id`'s route from memory.
    fn cached_route(directory: &CallDirectory, business_id: Uuid) -> bool {
        directory.catch_up();
        served(&lock(&directory.maps.routes).lookup(&(business_id, None), Instant::now()))
    }

    fn fill_domain(directory: &CallDirectory, name: &str, business_id: Uuid) {
        let mut domains = lock(&directory.maps.domains);
        let seen = domains.generation();
        domains.install(
            seen,
            name.to_owned(),
            (business_id, name.to_owned()),
            Instant::now(),
        );
    }

    fn cached_domain(directory: &CallDirectory, name: &str) -> bool {
        directory.catch_up();
        served(&lock(&directory.maps.domains).lookup(name, Instant::now()))
    }

    /// Installs `name`'s card for `identity` as a miss starting now would.
    fn fill_card(directory: &CallDirectory, identity: Uuid, name: &str, expires_at: DateTime<Utc>) {
        let mut callers = lock(&directory.maps.callers);
        let seen = callers.generation();
        callers.install(seen, identity, (card(name), expires_at), Instant::now());
    }

    /// What a lookup at `now` answers from memory: the card, `None` for an expired one,
    /// or the generation a miss installs under.
    fn cached_card(
        directory: &CallDirectory,
        identity: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<CallerCard>, u64> {
        directory.catch_up();
        let found = lock(&directory.maps.callers).lookup(&identity, Instant::now());
        match found {
            Lookup::Hit(card) | Lookup::Refresh(card, _) => {
                Ok(directory.live_card(identity, Some(card), now))
            }
            Lookup::Miss(seen) => Err(seen),
        }
    }

    #[test]
    fn a_miss_read_before_an_invalidation_is_not_installed() {
        let bus = EventBus::default();
        let directory = CallDirectory::new(&bus);
        let business = Uuid::new_v4();
        let read = Instant::now();
        // A miss reads the generation, then queries…
        let Lookup::Miss(seen) = lock(&directory.maps.routes).lookup(&(business, None), read)
        else {
            panic!("an empty directory answered");
        };
        // …meanwhile the intents change and the event is applied…
        directory.apply(&event(business, BusinessEventKind::IntentsChanged));
        // …so the answer it read is not installed.
        let installed =
            lock(&directory.maps.routes).install(seen, (business, None), route(business), read);
        assert!(!installed);
        assert!(!cached_route(&directory, business));
        // A miss that starts after the change installs.
        fill_route(&directory, business);
        assert!(cached_route(&directory, business));
    }

    #[test]
    fn a_lookup_applies_what_was_published_before_it() {
        let bus = EventBus::default();
        let directory = CallDirectory::new(&bus);
        let business = Uuid::new_v4();
        fill_route(&directory, business);
        // Published, and no task has applied it yet: the lookup does.
        bus.publish(business, BusinessEventKind::TeamsChanged, Uuid::new_v4());
        assert!(!cached_route(&directory, business));
    }

    #[test]
    fn member_intent_and_team_events_drop_only_that_business_routes() {
        let bus = EventBus::default();
        let directory = CallDirectory::new(&bus);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        for kind in [
            BusinessEventKind::MemberJoined,
            BusinessEventKind::MemberRemoved,
            BusinessEventKind::MemberRoleChanged,
            BusinessEventKind::IntentsChanged,
            BusinessEventKind::TeamsChanged,
        ] {
            fill_route(&directory, a);
            fill_route(&directory, b);
            fill_domain(&directory, "acme.com", a);
            bus.publish(a, kind, Uuid::new_v4());
            assert!(!cached_route(&directory, a), "{kind:?}");
            assert!(cached_route(&directory, b), "{kind:?}");
            assert!(cached_domain(&directory, "acme.com"), "{kind:?}");
        }
    }

    #[test]
    fn domain_events_drop_every_domain_and_caller_card() {
        let bus = EventBus::default();
        let directory = CallDirectory::new(&bus);
        let now = Utc::now();
        let hour = now + chrono::Duration::hours(1);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        for kind in [
            BusinessEventKind::DomainAdded,
            BusinessEventKind::DomainVerified,
            BusinessEventKind::DomainRevoked,
            BusinessEventKind::DomainRemoved,
        ] {
            fill_domain(&directory, "acme.com", a);
            fill_domain(&directory, "other.org", b);
            fill_route(&directory, a);
            let identity = Uuid::new_v4();
            fill_card(&directory, identity, "acme.com", hour);
            assert_eq!(
                cached_card(&directory, identity, now),
                Ok(Some(card("acme.com")))
            );
            // An event of business A drops B's domains too: one event, everything goes.
            bus.publish(a, kind, Uuid::new_v4());
            assert!(!cached_domain(&directory, "acme.com"), "{kind:?}");
            assert!(!cached_domain(&directory, "other.org"), "{kind:?}");
            assert!(cached_card(&directory, identity, now).is_err(), "{kind:?}");
            assert!(cached_route(&directory, a), "{kind:?}");
        }
    }

    #[test]
    fn invitations_and_keys_change_nothing() {
        let bus = EventBus::default();
        let directory = CallDirectory::new(&bus);
        let a = Uuid::new_v4();
        fill_route(&directory, a);
        fill_domain(&directory, "acme.com", a);
        for kind in [
            BusinessEventKind::InvitationSent,
            BusinessEventKind::InvitationRevoked,
            BusinessEventKind::ApiKeyCreated,
            BusinessEventKind::ApiKeyRevoked,
        ] {
            bus.publish(a, kind, Uuid::new_v4());
        }
        assert!(cached_route(&directory, a));
        assert!(cached_domain(&directory, "acme.com"));
    }

    #[test]
    fn a_cached_card_is_refused_from_the_instant_it_expires() {
        let bus = EventBus::default();
        let directory = CallDirectory::new(&bus);
        let now = Utc::now();
        let identity = Uuid::new_v4();
        let expires_at = now + chrono::Duration::seconds(10);
        fill_card(&directory, identity, "guest-1", expires_at);
        assert_eq!(
            cached_card(&directory, identity, now),
            Ok(Some(card("guest-1")))
        );
        let just_before = expires_at - chrono::Duration::milliseconds(1);
        assert_eq!(
            cached_card(&directory, identity, just_before),
            Ok(Some(card("guest-1")))
        );
        assert_eq!(cached_card(&directory, identity, expires_at), Ok(None));
        // Refused, and forgotten: a later lookup goes to the database (which refuses too).
        assert!(cached_card(&directory, identity, now).is_err());
    }

    #[test]
    fn entries_are_read_again_after_their_max_age() {
        let bus = EventBus::default();
        let directory = CallDirectory::with_limits(&bus, 10, Duration::from_secs(60));
        let a = Uuid::new_v4();
        fill_route(&directory, a);
        let mut routes = lock(&directory.maps.routes);
        let soon = Instant::now() + Duration::from_secs(59);
        assert!(served(&routes.lookup(&(a, None), soon)));
        let later = Instant::now() + Duration::from_secs(61);
        let generation = routes.generation();
        assert!(matches!(routes.lookup(&(a, None), later), Lookup::Miss(g) if g == generation));
    }

    #[test]
    fn every_map_is_bounded() {
        let bus = EventBus::default();
        let directory = CallDirectory::with_limits(&bus, 3, MAX_AGE);
        for i in 0..10 {
            let business = Uuid::new_v4();
            fill_route(&directory, business);
            fill_domain(&directory, &format!("shop-{i}.com"), business);
            let now = Utc::now();
            let hour = now + chrono::Duration::hours(1);
            fill_card(&directory, Uuid::new_v4(), "guest", hour);
            assert!(lock(&directory.maps.routes).len() <= 3);
            assert!(lock(&directory.maps.domains).len() <= 3);
            assert!(lock(&directory.maps.callers).len() <= 3);
            // The newest answer is always kept.
            assert!(cached_route(&directory, business));
        }
    }

    #[test]
    fn a_full_caller_map_drops_expired_cards_first() {
        let bus = EventBus::default();
        let directory = CallDirectory::with_limits(&bus, 3, MAX_AGE);
        let now = Utc::now();
        let gone = now - chrono::Duration::seconds(1);
        let hour = now + chrono::Duration::hours(1);
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        fill_card(&directory, ids[0], "old", gone);
        fill_card(&directory, ids[1], "one", hour);
        fill_card(&directory, ids[2], "two", hour);
        let later = now + chrono::Duration::seconds(1);
        fill_card(&directory, ids[3], "new", hour);
        assert_eq!(lock(&directory.maps.callers).len(), 3);
        assert_eq!(
            cached_card(&directory, ids[1], later),
            Ok(Some(card("one")))
        );
        assert_eq!(
            cached_card(&directory, ids[3], later),
            Ok(Some(card("new")))
        );
        assert!(cached_card(&directory, ids[0], later).is_err());
    }

    #[test]
    fn a_lagging_subscription_clears_everything() {
        let bus = EventBus::default();
        let directory = CallDirectory::new(&bus);
        let a = Uuid::new_v4();
        fill_route(&directory, a);
        fill_domain(&directory, "acme.com", a);
        // More events than the bus keeps, none of which would drop anything by itself.
        for _ in 0..2000 {
            bus.publish(a, BusinessEventKind::ApiKeyCreated, Uuid::new_v4());
        }
        assert!(!cached_route(&directory, a));
        assert!(!cached_domain(&directory, "acme.com"));
    }

    #[tokio::test]
    async fn the_follower_applies_events_without_a_lookup() {
        let bus = EventBus::default();
        let directory = Arc::new(CallDirectory::new(&bus));
        let follower = tokio::spawn(directory.clone().follow());
        let a = Uuid::new_v4();
        fill_route(&directory, a);
        bus.publish(a, BusinessEventKind::TeamsChanged, Uuid::new_v4());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while lock(&directory.maps.routes).contains(&(a, None)) {
            assert!(tokio::time::Instant::now() < deadline, "never applied");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        follower.abort();
    }
}
