//! Domain ownership checks against a real DNS server on loopback.
#![allow(clippy::unwrap_used)]

#[path = "support/dns_server.rs"]
mod dns_server;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use dns_server::{silent_udp_socket, TestDnsServer};
use entity::domains::{authorisation_code, CheckOutcome, DomainName, Verifier};
use hickory_server::proto::rr::RecordType;

const TIMEOUT: Duration = Duration::from_secs(2);

/// A server for the `com` zone where `example.com` exists, and a verifier pointed at it.
async fn setup() -> (TestDnsServer, Verifier) {
    let dns = TestDnsServer::start(&["com"]).await;
    dns.add_a("example.com", Ipv4Addr::new(192, 0, 2, 1)).await;
    let verifier = Verifier::new(&[dns.addr()], TIMEOUT).unwrap();
    (dns, verifier)
}

fn domain(s: &str) -> DomainName {
    DomainName::parse(s).unwrap()
}

fn record_value(code: &str) -> String {
    format!("domaincall-verify={code}")
}

#[tokio::test]
async fn published_code_verifies() {
    let (dns, verifier) = setup().await;
    let code = authorisation_code();
    dns.add_txt("_domaincall.example.com", &[&record_value(&code)])
        .await;

    let outcome = verifier.check(&domain("example.com"), &code).await;
    assert_eq!(outcome, CheckOutcome::Verified);
    assert!(outcome.is_verified());
}

#[tokio::test]
async fn split_strings_are_joined_and_any_record_may_match() {
    let (dns, verifier) = setup().await;
    let code = authorisation_code();
    dns.add_txt(
        "_domaincall.example.com",
        &["domaincall-verify=some-old-code"],
    )
    .await;
    dns.add_txt("_domaincall.example.com", &["v=spf1 -all"])
        .await;
    let (head, tail) = code.split_at(10);
    dns.add_txt(
        "_domaincall.example.com",
        &["domaincall-verify=", head, tail],
    )
    .await;

    assert_eq!(
        verifier.check(&domain("example.com"), &code).await,
        CheckOutcome::Verified
    );
}

#[tokio::test]
async fn another_code_is_a_mismatch() {
    let (dns, verifier) = setup().await;
    let published = record_value(&authorisation_code());
    dns.add_txt("_domaincall.example.com", &[&published]).await;

    let outcome = verifier
        .check(&domain("example.com"), &authorisation_code())
        .await;
    assert_eq!(
        outcome,
        CheckOutcome::CodeMismatch {
            found: vec![published.clone()]
        }
    );
    assert!(outcome.message().contains(&published));
}

#[tokio::test]
async fn existing_domain_without_record_has_no_txt_record() {
    let (dns, verifier) = setup().await;
    let code = authorisation_code();
    assert_eq!(
        verifier.check(&domain("example.com"), &code).await,
        CheckOutcome::NoTxtRecord
    );

    // The name exists but holds another type (NODATA).
    dns.add_a("_domaincall.example.com", Ipv4Addr::new(192, 0, 2, 2))
        .await;
    assert_eq!(
        verifier.check(&domain("example.com"), &code).await,
        CheckOutcome::NoTxtRecord
    );
}

#[tokio::test]
async fn unknown_domain_does_not_exist() {
    let (_dns, verifier) = setup().await;
    let outcome = verifier
        .check(&domain("nowhere.com"), &authorisation_code())
        .await;
    assert_eq!(outcome, CheckOutcome::NoSuchDomain);
    assert!(outcome.message().contains("NXDOMAIN"));
}

#[tokio::test]
async fn silent_server_times_out() {
    let silent = silent_udp_socket().await;
    let timeout = Duration::from_millis(500);
    let verifier = Verifier::new(&[silent.local_addr().unwrap()], timeout).unwrap();

    let started = Instant::now();
    let outcome = verifier
        .check(&domain("example.com"), &authorisation_code())
        .await;
    assert_eq!(outcome, CheckOutcome::Timeout);
    assert!(
        started.elapsed() < timeout * 3,
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn refusing_server_is_a_server_failure() {
    // The server is not authoritative for `.org` and refuses the query.
    let (_dns, verifier) = setup().await;
    let outcome = verifier
        .check(&domain("example.org"), &authorisation_code())
        .await;
    assert!(
        matches!(outcome, CheckOutcome::ServerFailure(_)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn removed_record_is_seen_at_once() {
    let (dns, verifier) = setup().await;
    let code = authorisation_code();
    let name = domain("example.com");
    dns.add_txt("_domaincall.example.com", &[&record_value(&code)])
        .await;
    assert_eq!(verifier.check(&name, &code).await, CheckOutcome::Verified);

    dns.remove("_domaincall.example.com", RecordType::TXT).await;
    assert_eq!(
        verifier.check(&name, &code).await,
        CheckOutcome::NoTxtRecord
    );

    dns.add_txt("_domaincall.example.com", &[&record_value(&code)])
        .await;
    assert_eq!(verifier.check(&name, &code).await, CheckOutcome::Verified);
}

#[tokio::test]
async fn subdomains_and_internationalised_names_verify() {
    let dns = TestDnsServer::start(&["com", "xn--p1ai"]).await;
    let verifier = Verifier::new(&[dns.addr()], TIMEOUT).unwrap();
    let code = authorisation_code();

    dns.add_txt("_domaincall.sales.example.com", &[&record_value(&code)])
        .await;
    assert_eq!(
        verifier.check(&domain("Sales.Example.com"), &code).await,
        CheckOutcome::Verified
    );

    let idn = domain("пример.рф");
    dns.add_txt(&idn.txt_record_name(), &[&record_value(&code)])
        .await;
    assert_eq!(verifier.check(&idn, &code).await, CheckOutcome::Verified);
}
