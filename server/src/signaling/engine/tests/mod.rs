//! The engine driven through in-memory fakes of its seams: a delivery that records every
//! frame (with which socket of the connection it reached), presence kept in a map,
//! records that keep the jobs, admission that admits everything. The call directory is
//! the real one, primed with one business (`acme.com`) and its members, so nothing
//! touches a database. These are the cases that used to need the whole server: accept
//! races, transfers, resuming, revocation, shutdown.
#![allow(clippy::unwrap_used)]

mod fakes;
mod scenarios;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use chrono::Utc;
use entity::calls::protocol::{CallId, CallerCard, ConnectionId};
use entity::calls::relay::RelayFrame;
use entity::calls::wire::CallMode;
use entity::calls::Party;
use entity::domains::DomainName;
use entity::events::LocalBus;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::local::{LocalMemory, LocalSessions};
use super::{Caller, Engine, Greeted, Peer, Seams, SocketId};
use crate::signaling::outbox::outbox;
use crate::signaling::{Hub, SignalingConfig};
use fakes::{FakeDelivery, FakePresence, FakeRecords, OpenAdmission};

/// The business every test calls.
const DOMAIN: &str = "acme.com";

/// One socket of a peer, greeted.
#[derive(Clone, Copy, Debug)]
struct Device {
    peer: Peer,
    id: ConnectionId,
    socket: SocketId,
}

impl Device {
    fn party(&self) -> Party {
        self.peer.party(self.id)
    }

    fn agent(&self) -> entity::calls::AgentDevice {
        match self.party() {
            Party::Agent(device) => device,
            Party::Caller(_) => panic!("a caller has no agent device"),
        }
    }

    fn user(&self) -> Uuid {
        self.agent().user
    }
}

/// An engine on fakes (in a hub, for what the socket layer adds: admission, revocations
/// reaching open sockets), with one business and its members.
struct Rig {
    hub: Hub,
    engine: Engine,
    delivery: Arc<FakeDelivery>,
    presence: Arc<FakePresence>,
    records: Arc<FakeRecords>,
    bus: LocalBus,
    business: Uuid,
    members: Vec<Uuid>,
}

fn id() -> ConnectionId {
    ConnectionId::from_random_bytes(*Uuid::new_v4().as_bytes())
}

impl Rig {
    /// A business with `members` members, none connected.
    fn new(members: usize) -> Self {
        let delivery = Arc::new(FakeDelivery::default());
        let presence = Arc::new(FakePresence::default());
        let records = Arc::new(FakeRecords::default());
        let seams = Seams {
            delivery: delivery.clone(),
            presence: presence.clone(),
            memory: Arc::new(LocalMemory::default()),
            sessions: Arc::new(LocalSessions::default()),
            admission: Arc::new(OpenAdmission),
            records: records.clone(),
        };
        let bus = LocalBus::default();
        let hub = Hub::with_seams(
            SignalingConfig::default(),
            entity::calls::ice::IceConfig::default(),
            Vec::new(),
            false,
            &bus,
            &DatabaseConnection::default(),
            seams,
        );
        let business = Uuid::new_v4();
        let members = (0..members).map(|_| Uuid::new_v4()).collect();
        let rig = Self {
            engine: hub.engine().clone(),
            hub,
            delivery,
            presence,
            records,
            bus,
            business,
            members,
        };
        // The directory knows what the database would say about the business.
        let directory = rig.engine.directory();
        directory.prime_domain(&domain(), rig.business);
        directory.prime_members(rig.business, rig.members.clone());
        directory.prime_schedule(rig.business, Default::default());
        rig
    }

    /// A fresh socket number.
    fn socket(&self) -> SocketId {
        self.hub.socket_id()
    }

    /// Greets a socket of `peer` (resuming `resume` if given).
    async fn greet(&self, peer: Peer, resume: Option<ConnectionId>) -> (Device, Greeted) {
        let socket = self.socket();
        let greeted = self
            .engine
            .greet(peer, socket, &outbox(8).0, id(), resume)
            .await;
        let device = Device {
            peer,
            id: greeted.id,
            socket,
        };
        (device, greeted)
    }

    /// A device of member number `n`, online.
    async fn agent(&self, n: usize) -> Device {
        let peer = Peer::Agent {
            user_id: self.members[n],
            business_id: self.business,
            session_id: Uuid::new_v4(),
        };
        self.greet(peer, None).await.0
    }

    /// A caller with a live identity, online.
    async fn caller(&self) -> Device {
        let identity_id = Uuid::new_v4();
        let card = CallerCard {
            name: "guest-1".to_owned(),
            verified: false,
            domain: None,
        };
        let until = Utc::now() + chrono::Duration::hours(1);
        let directory = self.engine.directory();
        // A guest without email: the request must not look for a contact (the rig's
        // database is disconnected; a read would panic).
        directory.prime_caller(identity_id, card, until);
        self.greet(Peer::Caller { identity_id }, None).await.0
    }

    /// `caller` calls the business; returns the call id its agents were offered.
    async fn call(&self, caller: &Device) -> CallId {
        let Peer::Caller { identity_id } = caller.peer else {
            panic!("agents do not call");
        };
        let from = Caller {
            connection: caller.id,
            identity_id,
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let served = self
            .engine
            .request_call(from, &domain(), None, CallMode::Voice, None)
            .await;
        assert_eq!(served, Ok(()));
        let ringing = self.delivery.types(caller.id);
        assert_eq!(ringing, ["ringing"], "the caller hears it ring");
        let offered = self.delivery.frames_of_type("incoming");
        let id = offered.last().map(|f| f["call_id"].clone()).unwrap();
        serde_json::from_value(id).unwrap()
    }

    /// A relay message from `from`.
    fn relay(&self, from: &Device, text: &str) -> Result<(), super::Refusal> {
        let frame = RelayFrame::parse(text).unwrap();
        self.engine.try_relay(from.party(), &frame).unwrap()
    }
}

fn domain() -> DomainName {
    DomainName::parse(DOMAIN).unwrap()
}

/// The `type` of a frame.
fn kind(frame: &Value) -> &str {
    frame["type"].as_str().unwrap_or_default()
}
