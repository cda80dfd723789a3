//! Accept races, transfers, resuming, revocation and shutdown, through the fakes.

use std::time::Duration;

use entity::calls::protocol::ErrorCode;
use entity::calls::records::Job;
use entity::calls::wire::{EndReason, RingTarget};
use entity::calls::Milestone;
use entity::events::{EventBus, Revocation};
use futures::FutureExt;
use serde_json::json;

use super::*;
use crate::signaling::outbox::{Next, Signal};

const OFFER: &str = r#"{"type":"offer","sdp":"v=0 offer"}"#;
const ANSWER: &str = r#"{"type":"answer","sdp":"v=0 answer"}"#;

/// The `ended` frames among `frames`, as their reasons.
fn ended(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| kind(f) == "ended")
        .map(|f| f["reason"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A call from `caller` answered by `agent` (the rig's other devices stopped ringing);
/// every frame so far taken.
async fn connected(rig: &Rig, caller: &Device, agent: &Device, others: &[&Device]) -> CallId {
    let call_id = rig.call(caller).await;
    let answered = rig.engine.answer_call(agent.agent(), call_id, true).await;
    assert_eq!(answered, Ok(()));
    assert_eq!(rig.delivery.types(caller.id), ["accepted"]);
    assert_eq!(rig.delivery.types(agent.id), ["incoming", "accepted"]);
    for other in others {
        assert_eq!(rig.delivery.types(other.id), ["incoming", "taken"]);
    }
    call_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_racing_accepts_exactly_one_wins_and_the_other_hears_taken() {
    for _ in 0..30 {
        let rig = Rig::new(2);
        let (a, b) = (rig.agent(0).await, rig.agent(1).await);
        let caller = rig.caller().await;
        let call_id = rig.call(&caller).await;
        let accept = |device: Device| {
            let engine = rig.engine.clone();
            tokio::spawn(async move { engine.answer_call(device.agent(), call_id, true).await })
        };
        let (ra, rb) = tokio::join!(accept(a), accept(b));
        assert_eq!(
            (ra.unwrap(), rb.unwrap()),
            (Ok(()), Ok(())),
            "the loser is told, not refused"
        );
        let (fa, fb) = (rig.delivery.types(a.id), rig.delivery.types(b.id));
        let won = |f: &[String]| f.iter().any(|t| t == "accepted");
        assert!(won(&fa) != won(&fb), "exactly one winner: {fa:?} {fb:?}");
        let loser = if won(&fa) { &fb } else { &fa };
        assert!(
            loser.iter().all(|t| t == "incoming" || t == "taken"),
            "{loser:?}"
        );
        assert!(loser.iter().any(|t| t == "taken"));
        assert_eq!(
            rig.delivery.types(caller.id),
            ["accepted"],
            "the caller connects once"
        );
        let accepts = rig
            .records
            .jobs
            .lock()
            .unwrap()
            .iter()
            .filter(|j| {
                matches!(
                    j,
                    Job::Milestone {
                        milestone: Milestone::Accepted { .. },
                        ..
                    }
                )
            })
            .count();
        assert_eq!(accepts, 1, "one answer recorded");
        let busy = rig.presence.busy.lock().unwrap().clone();
        assert_eq!(busy.len(), 1, "one member in the call: {busy:?}");
    }
}

#[tokio::test]
async fn a_transfer_taken_by_a_colleague_tells_the_first_agent_transferred() {
    let rig = Rig::new(2);
    let (a, b) = (rig.agent(0).await, rig.agent(1).await);
    let caller = rig.caller().await;
    let call_id = connected(&rig, &caller, &a, &[&b]).await;

    let to = RingTarget::Member(b.user());
    assert_eq!(
        rig.engine.transfer_call(a.agent(), Some(call_id), to).await,
        Ok(())
    );
    let offered = rig.delivery.take(b.id);
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert_eq!(kind(&offered[0]), "incoming");
    assert_eq!(offered[0]["transferred_by"], json!(a.user()));

    assert_eq!(
        rig.engine.answer_call(b.agent(), call_id, true).await,
        Ok(())
    );
    let told = rig.delivery.take(a.id);
    assert_eq!(
        told,
        [json!({"type": "transferred", "call_id": call_id, "to": b.user()})]
    );
    assert_eq!(rig.delivery.types(b.id), ["accepted"]);
    assert_eq!(
        rig.delivery.types(caller.id),
        ["accepted"],
        "renegotiate with b"
    );

    // The call is b's now: relays go between the caller and b only.
    assert_eq!(rig.relay(&caller, OFFER), Ok(()));
    assert_eq!(rig.delivery.types(b.id), ["offer"]);
    assert!(rig.delivery.take(a.id).is_empty());
    let refused = rig.relay(&a, ANSWER).map_err(|(code, _)| code);
    assert_eq!(refused, Err(ErrorCode::NotInCall));
}

#[tokio::test]
async fn a_party_back_within_the_grace_is_lost_then_back_and_relays_follow_its_new_socket() {
    let rig = Rig::new(1);
    let agent = rig.agent(0).await;
    let caller = rig.caller().await;
    let call_id = connected(&rig, &caller, &agent, &[]).await;
    assert_eq!(rig.relay(&caller, OFFER), Ok(()));
    assert_eq!(rig.relay(&agent, ANSWER), Ok(()));
    assert_eq!(rig.delivery.types(agent.id), ["offer"]);
    assert_eq!(rig.delivery.types(caller.id), ["answer"]);
    let first = rig.delivery.attachment(caller.id);

    rig.engine
        .suspend(caller.peer, caller.id, caller.socket)
        .await;
    let lost = rig.delivery.take(agent.id);
    assert_eq!(kind(&lost[0]), "peer_lost", "{lost:?}");
    assert_eq!(lost[0]["call_id"], json!(call_id));
    // Meanwhile relays to the caller reach nobody.
    assert_eq!(rig.relay(&agent, ANSWER), Ok(()));
    assert!(rig.delivery.take(caller.id).is_empty());

    let (again, greeted) = rig.greet(caller.peer, Some(caller.id)).await;
    assert!(greeted.resumed, "within the grace");
    assert_eq!(again.id, caller.id, "the same session");
    assert_eq!(rig.delivery.types(agent.id), ["peer_back"]);
    let second = rig.delivery.attachment(caller.id);
    assert_ne!(first, second, "a new socket serves it");
    assert_eq!(rig.relay(&agent, ANSWER), Ok(()));
    let log = rig.delivery.log();
    let to_caller: Vec<u32> = log
        .frames
        .iter()
        .filter(|(c, _, _)| *c == caller.id)
        .map(|(_, n, _)| *n)
        .collect();
    assert_eq!(to_caller, [second.unwrap()], "relayed to the new socket");
}

#[tokio::test]
async fn a_second_socket_resuming_a_live_session_kicks_the_first() {
    let rig = Rig::new(1);
    let agent = rig.agent(0).await;
    let caller = rig.caller().await;
    connected(&rig, &caller, &agent, &[]).await;
    let (_, greeted) = rig.greet(agent.peer, Some(agent.id)).await;
    assert!(greeted.resumed);
    let signals = rig.delivery.log().signals.clone();
    assert_eq!(
        signals,
        [(agent.id, Signal::Kicked)],
        "the old socket closes (4005)"
    );
    assert!(
        rig.delivery.take(caller.id).is_empty(),
        "no peer_lost for the caller"
    );
}

#[tokio::test]
async fn revoking_a_member_closes_their_sockets_ends_their_calls_and_their_suspended_sessions() {
    let rig = Rig::new(2);
    let (hub, engine) = (&rig.hub, &rig.engine);
    let admit = |peer: Peer| {
        let admitted = hub.admit(peer, hub.revocation_mark()).ok().unwrap();
        (
            admitted.socket,
            admitted.outbox,
            admitted.queue,
            admitted.guard,
        )
    };
    let agent_peer = |n: usize| Peer::Agent {
        user_id: rig.members[n],
        business_id: rig.business,
        session_id: Uuid::new_v4(),
    };
    let (removed, kept) = (agent_peer(0), agent_peer(1));
    let (rs, ro, mut rq, _rg) = admit(removed);
    let (ks, ko, mut kq, _kg) = admit(kept);
    let r = engine.greet(removed, rs, &ro, id(), None).await;
    let k = engine.greet(kept, ks, &ko, id(), None).await;
    // The removed member's phone dropped a moment ago: its session waits for it.
    let phone = rig.greet(agent_peer(0), None).await.0;
    engine.suspend(phone.peer, phone.id, phone.socket).await;

    let caller = rig.caller().await;
    let call_id = rig.call(&caller).await;
    let agent = Device {
        peer: removed,
        id: r.id,
        socket: rs,
    };
    assert_eq!(
        engine.answer_call(agent.agent(), call_id, true).await,
        Ok(())
    );
    rig.delivery.take(caller.id);

    rig.bus.revoke(Revocation::MemberRemoved {
        business_id: rig.business,
        user_id: rig.members[0],
    });
    hub.catch_up_revocations();
    let next = |q: &mut crate::signaling::outbox::Queue| {
        std::future::poll_fn(|cx| q.poll_next(cx)).now_or_never()
    };
    assert_eq!(
        next(&mut rq),
        Some(Next::Signal(Signal::Revoked)),
        "closed with 4001"
    );
    assert_eq!(next(&mut kq), None, "a colleague's socket stays");
    // The socket, closing on that signal, ends its session: the call ends at once.
    engine.end_session(removed, r.id, rs).await;
    assert_eq!(ended(&rig.delivery.take(caller.id)), ["dropped"]);
    assert_eq!(engine.registry().calls.len(), 0);
    // The suspended phone session was taken out: nobody resumes it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (_, greeted) = rig.greet(phone.peer, Some(phone.id)).await;
    assert!(!greeted.resumed, "a revoked session cannot be resumed");
    assert_ne!(k.id, r.id);
}

#[tokio::test]
async fn shutdown_ends_every_call_with_server_shutdown() {
    let rig = Rig::new(2);
    let (a, b) = (rig.agent(0).await, rig.agent(1).await);
    let (first, second) = (rig.caller().await, rig.caller().await);
    let connected_call = connected(&rig, &first, &a, &[&b]).await;
    // a is busy: the second call rings b only.
    let ringing_call = rig.call(&second).await;
    assert_eq!(rig.delivery.types(b.id), ["incoming"]);
    assert!(rig.delivery.take(a.id).is_empty());

    rig.engine.end_all_calls().await;
    for device in [&first, &a, &second, &b] {
        let frames = rig.delivery.take(device.id);
        assert_eq!(ended(&frames), ["server_shutdown"], "{frames:?}");
    }
    let jobs = rig.records.jobs.lock().unwrap().clone();
    for call in [connected_call, ringing_call] {
        let end = jobs.iter().find_map(|j| match j {
            Job::Milestone {
                call_id,
                milestone: Milestone::Ended { reason, .. },
                ..
            } if *call_id == call => Some(*reason),
            _ => None,
        });
        assert_eq!(end, Some(EndReason::ServerShutdown));
    }
    let third = rig.caller().await;
    let Peer::Caller { identity_id } = third.peer else {
        unreachable!()
    };
    let from = Caller {
        connection: third.id,
        identity_id,
        address: IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let refused = rig
        .engine
        .request_call(from, &domain(), None, CallMode::Voice, None)
        .await;
    assert_eq!(
        refused.map_err(|(code, _)| code),
        Err(ErrorCode::Internal),
        "restarting"
    );
    rig.engine.drain_records().await;
    assert!(rig
        .records
        .drained
        .load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test]
async fn a_known_callers_card_rides_in_incoming_and_each_call_is_counted() {
    use entity::contacts::{CachedContact, ClientType, ContactCard, PurchaseTotals};
    let rig = Rig::new(1);
    let agent = rig.agent(0).await;
    let caller = rig.caller().await;
    let Peer::Caller { identity_id } = caller.peer else {
        panic!("a caller");
    };
    let card = ContactCard {
        id: Uuid::new_v4(),
        name: "acme.com".to_owned(),
        client_type: ClientType::New,
        last_contact_at: None,
        call_count: 1,
        purchase_total: None,
        latest_purchase: None,
        latest_note: Some("Prefers mornings".to_owned()),
    };
    let cached = CachedContact {
        card: card.clone(),
        chosen: None,
        totals: PurchaseTotals::default(),
        rules: entity::contacts::TierRules::DEFAULT,
    };
    let directory = rig.engine.directory();
    // The caller calls as the verified domain acme.com.
    let verified = CallerCard {
        name: "acme.com".to_owned(),
        verified: true,
        domain: Some("acme.com".to_owned()),
    };
    directory.prime_caller(
        identity_id,
        verified,
        Utc::now() + chrono::Duration::hours(1),
    );
    directory.prime_contact(rig.business, identity_id, Some(cached));
    let key = entity::contacts::matching::Key::Domain("acme.com".to_owned());
    let call_id = rig.call(&caller).await;

    // The agent sees the card as it was before this call.
    let offered = rig.delivery.take(agent.id);
    let incoming = offered.iter().find(|f| kind(f) == "incoming").unwrap();
    assert_eq!(incoming["contact"]["call_count"], 1, "{incoming}");
    assert_eq!(incoming["contact"]["client_type"], "new");
    assert_eq!(incoming["contact"]["latest_note"], "Prefers mornings");
    // The writer is asked to count it, and the cached card already has (no database:
    // the rig's connection is disconnected, so this is answered from memory).
    let touches: Vec<_> = rig
        .records
        .jobs
        .lock()
        .unwrap()
        .iter()
        .filter_map(|j| match j {
            Job::Contact(t) => Some((t.business_id, t.identity_id, t.call_id)),
            _ => None,
        })
        .collect();
    assert_eq!(touches, [(rig.business, identity_id, call_id)]);
    let db = sea_orm::DatabaseConnection::default();
    let now = directory
        .contact(&db, rig.business, identity_id, &key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.call_count, 2);
    assert_eq!(now.client_type, ClientType::Repeat, "a second call");
    assert!(now.last_contact_at.is_some());
    assert_eq!(now.id, card.id);

    // A change to that contact drops the card; another contact's does not.
    rig.bus.publish(
        rig.business,
        entity::events::BusinessEventKind::ContactsChanged,
        Uuid::new_v4(),
    );
    assert!(directory
        .contact(&db, rig.business, identity_id, &key)
        .await
        .is_ok());
    rig.bus.publish(
        rig.business,
        entity::events::BusinessEventKind::ContactsChanged,
        card.id,
    );
    let reread =
        std::panic::AssertUnwindSafe(directory.contact(&db, rig.business, identity_id, &key))
            .catch_unwind()
            .await;
    assert!(
        !matches!(reread, Ok(Ok(Some(_)))),
        "the dropped card is read again from the database"
    );
}
