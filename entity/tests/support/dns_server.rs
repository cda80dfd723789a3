//! A real authoritative DNS server on loopback, for tests that resolve names.
//!
//! Each test starts its own [`TestDnsServer`] (hickory-server with in-memory zones, UDP and
//! TCP on the same random port of 127.0.0.1) and changes records while it runs, so a test
//! can publish a record, check, remove it and check again. Self-contained: copy this file
//! (and the `hickory-server` dev-dependency) into another crate's tests to reuse it.
//!
//! ```ignore
//! let dns = TestDnsServer::start(&["com"]).await;
//! dns.add_a("example.com", Ipv4Addr::new(192, 0, 2, 1)).await;
//! dns.add_txt("_domaincall.example.com", &["domaincall-verify=", "1234"]).await;
//! // point a resolver at dns.addr()
//! dns.remove("_domaincall.example.com", RecordType::TXT).await;
//! ```
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_server::proto::rr::rdata::{A, NS, SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType, RrKey};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};

/// Records are served with this TTL; short, so a resolver that caches would still be caught
/// only by a test that checks twice within it.
const TTL: u32 = 300;

/// An authoritative DNS server for a few zones, stopped when dropped.
pub struct TestDnsServer {
    addr: SocketAddr,
    zones: Vec<(Name, Arc<InMemoryZoneHandler>)>,
    _server: Server<Catalog>,
}

impl TestDnsServer {
    /// Starts serving the zones `origins` (e.g. `["com"]` or `["example.com"]`), each with an
    /// SOA and an NS record at its apex and nothing else.
    pub async fn start(origins: &[&str]) -> Self {
        let mut catalog = Catalog::new();
        let mut zones = Vec::new();
        for origin in origins {
            let origin = fqdn(origin);
            let mut zone =
                InMemoryZoneHandler::empty(origin.clone(), ZoneType::Primary, AxfrPolicy::Deny);
            let ns = Name::from_ascii("ns1.dns.test.").unwrap();
            let soa = SOA::new(
                ns.clone(),
                Name::from_ascii("hostmaster.dns.test.").unwrap(),
                1,
                3600,
                600,
                86400,
                60,
            );
            zone.upsert_mut(Record::from_rdata(origin.clone(), TTL, RData::SOA(soa)), 1);
            zone.upsert_mut(
                Record::from_rdata(origin.clone(), TTL, RData::NS(NS(ns))),
                1,
            );
            let zone = Arc::new(zone);
            catalog.upsert(
                LowerName::new(&origin),
                vec![zone.clone() as Arc<dyn ZoneHandler>],
            );
            zones.push((origin, zone));
        }

        let (udp, tcp) = bind_same_port().await;
        let addr = udp.local_addr().unwrap();
        let mut server = Server::new(catalog);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 64);
        Self {
            addr,
            zones,
            _server: server,
        }
    }

    /// Where to send queries (UDP or TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds a TXT record at `name` made of `strings` (several character-strings, as DNS
    /// providers split long values). Other TXT records at `name` stay.
    pub async fn add_txt(&self, name: &str, strings: &[&str]) {
        let txt = TXT::new(strings.iter().map(|s| (*s).to_owned()).collect());
        self.upsert(name, RData::TXT(txt)).await;
    }

    /// Adds an A record at `name`.
    pub async fn add_a(&self, name: &str, ip: Ipv4Addr) {
        self.upsert(name, RData::A(A(ip))).await;
    }

    /// Removes every record of `record_type` at `name`.
    pub async fn remove(&self, name: &str, record_type: RecordType) {
        let name = fqdn(name);
        let zone = self.zone_for(&name);
        zone.records_mut()
            .await
            .remove(&RrKey::new(LowerName::new(&name), record_type));
    }

    async fn upsert(&self, name: &str, rdata: RData) {
        let name = fqdn(name);
        let zone = self.zone_for(&name);
        let serial = zone.serial().await;
        assert!(
            zone.upsert(Record::from_rdata(name.clone(), TTL, rdata), serial)
                .await,
            "record at {name} was not stored"
        );
    }

    /// The most specific served zone containing `name`.
    fn zone_for(&self, name: &Name) -> &InMemoryZoneHandler {
        self.zones
            .iter()
            .filter(|(origin, _)| origin.zone_of(name))
            .max_by_key(|(origin, _)| origin.num_labels())
            .map(|(_, zone)| zone.as_ref())
            .unwrap_or_else(|| panic!("{name} is in no zone this server serves"))
    }
}

/// A UDP socket that receives queries and never answers, for timeout tests. Keep it alive
/// for as long as it should stay silent.
pub async fn silent_udp_socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

fn fqdn(name: &str) -> Name {
    let name = name.trim_end_matches('.');
    Name::from_ascii(format!("{name}.")).unwrap()
}

/// Binds UDP and TCP on one random loopback port (retrying if TCP's is taken).
async fn bind_same_port() -> (UdpSocket, TcpListener) {
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        if let Ok(tcp) = TcpListener::bind(addr).await {
            return (udp, tcp);
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}
