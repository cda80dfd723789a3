//! The directory's rules without a database: invalidation, races, bounds, the follower.

use super::*;
use entity::calls::RingTarget;
use entity::events::LocalBus;

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
        entity::calls::records::VerifiedDomain {
            business_id,
            name: name.to_owned(),
            route_team_id: None,
        },
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
    callers.install(
        seen,
        identity,
        (card(name), expires_at, None),
        Instant::now(),
    );
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
        Lookup::Hit(card) | Lookup::Refresh(card, _) => Ok(directory
            .live_card(identity, Some(card), now)
            .map(|(card, _)| card)),
        Lookup::Miss(seen) => Err(seen),
    }
}

#[test]
fn a_miss_read_before_an_invalidation_is_not_installed() {
    let bus = LocalBus::default();
    let directory = CallDirectory::new(&bus);
    let business = Uuid::new_v4();
    let read = Instant::now();
    // A miss reads the generation, then queries…
    let Lookup::Miss(seen) = lock(&directory.maps.routes).lookup(&(business, None), read) else {
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
    let bus = LocalBus::default();
    let directory = CallDirectory::new(&bus);
    let business = Uuid::new_v4();
    fill_route(&directory, business);
    // Published, and no task has applied it yet: the lookup does.
    bus.publish(business, BusinessEventKind::TeamsChanged, Uuid::new_v4());
    assert!(!cached_route(&directory, business));
}

#[test]
fn member_intent_and_team_events_drop_only_that_business_routes() {
    let bus = LocalBus::default();
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
    let bus = LocalBus::default();
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
fn a_domain_route_event_drops_only_that_business_domains() {
    let bus = LocalBus::default();
    let directory = CallDirectory::new(&bus);
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    fill_domain(&directory, "acme.com", a);
    fill_domain(&directory, "other.org", b);
    fill_route(&directory, a);
    bus.publish(a, BusinessEventKind::DomainRouteChanged, Uuid::new_v4());
    assert!(!cached_domain(&directory, "acme.com"));
    assert!(cached_domain(&directory, "other.org"));
    assert!(cached_route(&directory, a));
}

#[test]
fn invitations_and_keys_change_nothing() {
    let bus = LocalBus::default();
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
    let bus = LocalBus::default();
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
    let bus = LocalBus::default();
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
    let bus = LocalBus::default();
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
    let bus = LocalBus::default();
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
    let bus = LocalBus::default();
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
    let bus = LocalBus::default();
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

/// Installs what a contact lookup of `identity` calling `business_id` found.
fn fill_contact(
    directory: &CallDirectory,
    business_id: Uuid,
    identity: Uuid,
    contact: Option<Uuid>,
) {
    use entity::contacts::{ClientType, PurchaseTotals, TierRules};
    let cached = contact.map(|id| CachedContact {
        card: ContactCard {
            id,
            name: "acme.com".to_owned(),
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
    });
    let mut contacts = lock(&directory.maps.contacts);
    let seen = contacts.generation();
    contacts.install(seen, (business_id, identity), cached, Instant::now());
}

fn cached_contact(directory: &CallDirectory, business_id: Uuid, identity: Uuid) -> bool {
    directory.catch_up();
    served(&lock(&directory.maps.contacts).lookup(&(business_id, identity), Instant::now()))
}

#[test]
fn contact_events_drop_that_contacts_cards_and_the_business_unknowns() {
    let bus = LocalBus::default();
    let directory = CallDirectory::new(&bus);
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let (pat, kim) = (Uuid::new_v4(), Uuid::new_v4());
    let [pat_phone, pat_laptop, kim_phone, stranger, b_caller] =
        std::array::from_fn(|_| Uuid::new_v4());
    let fill = || {
        fill_contact(&directory, a, pat_phone, Some(pat));
        fill_contact(&directory, a, pat_laptop, Some(pat));
        fill_contact(&directory, a, kim_phone, Some(kim));
        fill_contact(&directory, a, stranger, None);
        fill_contact(&directory, b, b_caller, Some(pat));
    };
    fill();
    // Pat changed: both of Pat's cards go, and "no contact yet" (Pat may now be them).
    bus.publish(a, BusinessEventKind::ContactsChanged, pat);
    assert!(!cached_contact(&directory, a, pat_phone));
    assert!(!cached_contact(&directory, a, pat_laptop));
    assert!(!cached_contact(&directory, a, stranger));
    assert!(
        cached_contact(&directory, a, kim_phone),
        "another contact stays"
    );
    assert!(
        cached_contact(&directory, b, b_caller),
        "another business stays"
    );
    // The business's tier rules changed: all its cards go.
    fill();
    bus.publish(a, BusinessEventKind::ContactsChanged, a);
    for identity in [pat_phone, pat_laptop, kim_phone, stranger] {
        assert!(!cached_contact(&directory, a, identity));
    }
    assert!(cached_contact(&directory, b, b_caller));
    // A touched card counts the call; a touched "no contact yet" is read again.
    fill();
    let at = Utc::now();
    directory.contact_touched(a, kim_phone, at);
    directory.contact_touched(a, stranger, at);
    let found = lock(&directory.maps.contacts).lookup(&(a, kim_phone), Instant::now());
    let Lookup::Hit(Some(kim_card)) = found else {
        panic!("kim's card is still served");
    };
    assert_eq!(kim_card.card.call_count, 2);
    assert_eq!(kim_card.card.last_contact_at, Some(at));
    assert!(!cached_contact(&directory, a, stranger));
}
