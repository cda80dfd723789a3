//! Whom the embedded TURN server relays to: with a live call's valid credentials, a
//! client is refused permission (403) to loopback, private, CGNAT, link-local (the cloud
//! metadata address), ULA, multicast and the server's own addresses — through the real
//! webrtc-rs TURN client and through hand-built requests (ChannelBind, a second
//! XOR-PEER-ADDRESS the crate itself would not read) — and nothing from such an address
//! comes back through a relay. A range listed in `DOMAINCALL_TURN_ALLOWED_PEERS` is
//! relayed to and from; two parties relayed by the same server reach each other.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use stun::agent::TransactionId;
use stun::attributes::{ATTR_NONCE, ATTR_REALM, ATTR_USERNAME};
use stun::error_code::ErrorCodeAttribute;
use stun::integrity::MessageIntegrity;
use stun::message::{
    Getter, Message, MessageType, Method, Setter, CLASS_ERROR_RESPONSE, CLASS_REQUEST,
    METHOD_CHANNEL_BIND, METHOD_CREATE_PERMISSION,
};
use stun::textattrs::TextAttribute;
use tokio::net::UdpSocket;
use turn::proto::channum::ChannelNumber;
use turn::proto::peeraddr::PeerAddress;

use crate::helpers::Db;
use crate::turn::{accepted_call, allocate, app_with_turn, round_trip, udp_echo};

/// Peers no relay may reach, whatever the credentials.
const REFUSED: &[&str] = &[
    "127.0.0.1:9",
    "127.0.0.2:9",
    "10.0.0.1:9",
    "192.168.1.1:9",
    "172.16.0.1:9",
    "169.254.169.254:80",
    "100.64.0.1:9",
    "224.0.0.1:9",
    "255.255.255.255:9",
    "0.0.0.0:9",
    "[::1]:9",
    "[fe80::1]:9",
    "[fc00::1]:9",
    "[::ffff:127.0.0.1]:9",
    "[64:ff9b::a9fe:a9fe]:80",
];

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|_| panic!("{s}"))
}

/// Sends a hand-built `method` request naming `peers` as `username`/`password` and
/// returns the error code of the answer (`None`: a success or no answer).
async fn raw_request(
    turn: SocketAddr,
    method: Method,
    peers: &[SocketAddr],
    username: &str,
    password: &str,
) -> Option<u16> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("a socket");
    let mut setters: Vec<Box<dyn Setter>> = vec![
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(method, CLASS_REQUEST)),
    ];
    if method == METHOD_CHANNEL_BIND {
        setters.push(Box::new(ChannelNumber(0x4001)));
    }
    for peer in peers {
        setters.push(Box::new(PeerAddress {
            ip: peer.ip(),
            port: peer.port(),
        }));
    }
    setters.push(Box::new(TextAttribute::new(ATTR_USERNAME, username.into())));
    setters.push(Box::new(TextAttribute::new(ATTR_REALM, "localhost".into())));
    setters.push(Box::new(TextAttribute::new(ATTR_NONCE, "any".into())));
    setters.push(Box::new(MessageIntegrity::new_long_term_integrity(
        username.into(),
        "localhost".into(),
        password.into(),
    )));
    let mut request = Message::new();
    request.build(&setters).expect("a request");
    socket.send_to(&request.raw, turn).await.expect("sent");
    let mut buf = [0u8; 1500];
    let (n, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    let mut answer = Message {
        raw: buf[..n].to_vec(),
        ..Message::default()
    };
    answer.decode().expect("a STUN answer");
    assert_eq!(answer.transaction_id, request.transaction_id);
    if answer.typ.class != CLASS_ERROR_RESPONSE {
        return None;
    }
    let mut code = ErrorCodeAttribute::default();
    code.get_from(&answer).ok()?;
    Some(code.code.0)
}

/// Without listed ranges, nothing but the public Internet: every non-public peer and the
/// server's own addresses are refused 403, and nothing sent from them is relayed back.
async fn turn_refuses_permissions_to_non_public_peers(db: Db) {
    let app = app_with_turn(db, "").await;
    let turn = app.turn.expect("the embedded TURN server runs");
    let call = accepted_call(&app).await;
    let (username, password) = call.credentials();
    let granted = allocate(turn, &username, &password)
        .await
        .unwrap_or_else(|e| panic!("a live call's credentials are refused: {e}"));
    let http = addr(app.base.trim_start_matches("http://"));
    let own = [turn, http, SocketAddr::new(turn.ip(), 9)];
    for peer in REFUSED.iter().map(|s| addr(s)).chain(own) {
        let refused = granted.relay.send_to(b"probe", peer).await.err();
        assert!(
            refused
                .as_ref()
                .is_some_and(|e| e.to_string().contains("403")),
            "permission to {peer} must be refused with 403: {refused:?}"
        );
    }
    for method in [METHOD_CREATE_PERMISSION, METHOD_CHANNEL_BIND] {
        for peer in ["169.254.169.254:80", "10.0.0.1:53", "127.0.0.1:22"] {
            assert_eq!(
                raw_request(turn, method, &[addr(peer)], &username, &password).await,
                Some(403),
                "{method} to {peer}"
            );
        }
    }
    assert_eq!(
        raw_request(
            turn,
            METHOD_CREATE_PERMISSION,
            &[addr("8.8.8.8:53"), addr("127.0.0.1:22")],
            &username,
            &password
        )
        .await,
        Some(403),
        "a refused peer behind a public one is refused too"
    );

    // A loopback service that sends to the relay is not relayed to the client.
    let (echo, received) = udp_echo("127.0.0.2").await;
    let stranger = UdpSocket::bind("127.0.0.2:0").await.expect("a socket");
    stranger
        .send_to(b"from inside", granted.relayed())
        .await
        .expect("sent");
    let mut buf = [0u8; 1500];
    let leaked = tokio::time::timeout(
        Duration::from_millis(700),
        granted.relay.recv_from(&mut buf),
    )
    .await;
    assert!(
        leaked.is_err(),
        "nothing from a refused peer comes back: {leaked:?}"
    );
    assert_eq!(
        round_trip(
            granted.relay.as_ref(),
            echo,
            b"x",
            Duration::from_millis(500)
        )
        .await,
        None
    );
    assert_eq!(
        received.load(Ordering::SeqCst),
        0,
        "nothing reached 127.0.0.2"
    );
    granted.release().await;
    app.finish().await;
}

/// A listed range is relayed to and from; the server's own addresses and other private
/// ranges stay refused.
async fn turn_relays_to_a_listed_range(db: Db) {
    let app = app_with_turn(db, "127.0.0.0/8").await;
    let turn = app.turn.expect("the embedded TURN server runs");
    let call = accepted_call(&app).await;
    let (username, password) = call.credentials();
    let granted = allocate(turn, &username, &password)
        .await
        .unwrap_or_else(|e| panic!("a live call's credentials are refused: {e}"));
    let (echo, received) = udp_echo("127.0.0.2").await;
    for round in 0..3u8 {
        let payload = [b'p', round];
        assert_eq!(
            round_trip(
                granted.relay.as_ref(),
                echo,
                &payload,
                Duration::from_secs(2)
            )
            .await,
            Some(payload.to_vec()),
            "round {round} through the relay to 127.0.0.2 and back"
        );
    }
    assert_eq!(received.load(Ordering::SeqCst), 3);
    for peer in [turn, SocketAddr::new(turn.ip(), 9), addr("10.0.0.1:9")] {
        let refused = granted.relay.send_to(b"probe", peer).await.err();
        assert!(
            refused
                .as_ref()
                .is_some_and(|e| e.to_string().contains("403")),
            "{peer} stays refused with 127.0.0.0/8 listed: {refused:?}"
        );
    }
    granted.release().await;
    app.finish().await;
}

/// Two parties relayed by the same server reach each other's relayed addresses (on the
/// server's own address), with no range listed.
async fn two_parties_relayed_by_one_server_reach_each_other(db: Db) {
    let app = app_with_turn(db, "").await;
    let turn = app.turn.expect("the embedded TURN server runs");
    let call = accepted_call(&app).await;
    let (username, password) = call.credentials();
    let caller = allocate(turn, &username, &password)
        .await
        .expect("caller's relay");
    let agent = allocate(turn, &username, &password)
        .await
        .expect("agent's relay");
    let (to_agent, to_caller) = (agent.relayed(), caller.relayed());
    // Each side permits the other before data flows, as ICE does.
    agent
        .relay
        .send_to(b"hello caller", to_caller)
        .await
        .expect("the caller's relayed address is a permitted peer");
    caller
        .relay
        .send_to(b"hello agent", to_agent)
        .await
        .expect("the agent's relayed address is a permitted peer");
    let mut buf = [0u8; 1500];
    let got = tokio::time::timeout(Duration::from_secs(2), agent.relay.recv_from(&mut buf))
        .await
        .expect("the agent hears the caller in time")
        .expect("a datagram");
    assert_eq!((&buf[..got.0], got.1), (&b"hello agent"[..], to_caller));
    caller.release().await;
    agent.release().await;
    app.finish().await;
}

crate::both_dbs!(
    turn_refuses_permissions_to_non_public_peers,
    turn_relays_to_a_listed_range,
    two_parties_relayed_by_one_server_reach_each_other,
);
