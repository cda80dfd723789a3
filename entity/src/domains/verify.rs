//! Proving ownership of a domain: a TXT record `domaincall-verify=<code>` at
//! `_domaincall.<domain>`, looked up live.
//!
//! A check never uses cached answers: a fresh resolver (cache size 0, TTLs clamped to 0)
//! serves each check, so a record that was just published, or just removed, is seen at once.
//! Failures are told apart (no such domain, no record yet, wrong code, timeout, server
//! failure) because each needs a different next step from the person publishing the record.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;
use serde::{Deserialize, Serialize};

use super::DomainName;

/// What the TXT record's value starts with; the authorisation code follows.
pub const TXT_VALUE_PREFIX: &str = "domaincall-verify=";

/// A fresh authorisation code (a UUIDv4) for a domain being added.
#[must_use]
pub fn authorisation_code() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The record to publish, exactly as shown to the owner:
/// `_domaincall.example.com TXT "domaincall-verify=<code>"`.
#[must_use]
pub fn expected_record(name: &DomainName, code: &str) -> String {
    format!(
        "{} TXT \"{TXT_VALUE_PREFIX}{code}\"",
        name.txt_record_name()
    )
}

/// The result of one verification check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CheckOutcome {
    /// A TXT record carries the issued code.
    Verified,
    /// The domain itself does not exist in DNS (NXDOMAIN).
    NoSuchDomain,
    /// The domain exists but `_domaincall.<domain>` has no TXT record.
    NoTxtRecord,
    /// TXT records exist at `_domaincall.<domain>` but none carries the issued code.
    CodeMismatch { found: Vec<String> },
    /// No DNS server answered in time.
    Timeout,
    /// A DNS server answered with an error, or could not be reached.
    ServerFailure(String),
}

impl CheckOutcome {
    /// Whether the check proved ownership.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Verified)
    }

    /// A stable name for storing in the check history.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::NoSuchDomain => "no_such_domain",
            Self::NoTxtRecord => "no_txt_record",
            Self::CodeMismatch { .. } => "code_mismatch",
            Self::Timeout => "timeout",
            Self::ServerFailure(_) => "server_failure",
        }
    }

    /// What happened and what to do next, for the person verifying the domain.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::Verified => "Verified: the TXT record carries your code. The domain is yours \
                               on domaincall; keep the record published, it is checked again \
                               regularly."
                .to_owned(),
            Self::NoSuchDomain => "This domain does not exist in DNS (NXDOMAIN). Check the \
                                   spelling; if you registered it recently, wait until your \
                                   registrar has published it, then verify again."
                .to_owned(),
            Self::NoTxtRecord => "No TXT record was found at _domaincall under this domain yet. \
                                  Add the record shown above at your DNS provider (the name is \
                                  _domaincall, the type TXT); changes can take a few minutes \
                                  to appear, then verify again."
                .to_owned(),
            Self::CodeMismatch { found } => {
                let found = found
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "A TXT record is published at _domaincall, but it does not carry the code \
                     issued for this domain (found: {found}). Replace its value with the one \
                     shown above — codes from an earlier attempt or another account do not \
                     count — then verify again."
                )
            }
            Self::Timeout => "The DNS servers did not answer in time. This is often temporary: \
                              try again in a minute; if it keeps happening, check with your DNS \
                              provider that the domain's name servers are working."
                .to_owned(),
            Self::ServerFailure(detail) => format!(
                "The DNS lookup failed ({detail}). The domain's name servers may be \
                 misconfigured or temporarily down: check them with your DNS provider, then \
                 verify again."
            ),
        }
    }
}

/// The DNS configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the system DNS configuration: {0}")]
pub struct DnsConfigError(#[from] NetError);

/// Looks up ownership records, never from a cache.
#[derive(Clone, Debug)]
pub struct Verifier {
    config: ResolverConfig,
    options: ResolverOpts,
    timeout: Duration,
}

impl Verifier {
    /// A verifier asking `nameservers` (over UDP, falling back to TCP), or the system's
    /// resolvers when the list is empty. `timeout` bounds one whole check.
    ///
    /// # Errors
    /// [`DnsConfigError`] when `nameservers` is empty and the system configuration
    /// (`/etc/resolv.conf`) cannot be read.
    pub fn new(nameservers: &[SocketAddr], timeout: Duration) -> Result<Self, DnsConfigError> {
        let (config, mut options) = if nameservers.is_empty() {
            hickory_resolver::system_conf::read_system_conf()?
        } else {
            let servers = nameservers.iter().map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            });
            (
                ResolverConfig::from_name_servers(servers.collect()),
                ResolverOpts::default(),
            )
        };
        // No cached answers: nothing is kept, and anything that were kept expires at once.
        options.cache_size = 0;
        options.positive_max_ttl = Some(Duration::ZERO);
        options.negative_max_ttl = Some(Duration::ZERO);
        options.use_hosts_file = ResolveHosts::Never;
        // Two tries per query fit in the budget of one check.
        options.timeout = timeout / 2;
        options.attempts = 1;
        Ok(Self {
            config,
            options,
            timeout,
        })
    }

    /// Checks whether `_domaincall.<name>` carries `domaincall-verify=<expected_code>`.
    #[tracing::instrument(skip_all, fields(domain = %name))]
    pub async fn check(&self, name: &DomainName, expected_code: &str) -> CheckOutcome {
        let outcome =
            match tokio::time::timeout(self.timeout, self.lookup(name, expected_code)).await {
                Ok(outcome) => outcome,
                Err(_elapsed) => CheckOutcome::Timeout,
            };
        tracing::debug!(outcome = outcome.code(), "domain ownership checked");
        outcome
    }

    async fn lookup(&self, name: &DomainName, expected_code: &str) -> CheckOutcome {
        let resolver = match self.resolver() {
            Ok(resolver) => resolver,
            Err(err) => return CheckOutcome::ServerFailure(err.to_string()),
        };
        let Ok(record_name) = fqdn(&name.txt_record_name()) else {
            return CheckOutcome::ServerFailure("the name cannot be looked up".to_owned());
        };
        match resolver.lookup(record_name, RecordType::TXT).await {
            Ok(lookup) => {
                let found: Vec<String> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|s| String::from_utf8_lossy(s))
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect();
                if found.is_empty() {
                    CheckOutcome::NoTxtRecord
                } else if found.iter().any(|v| carries_code(v, expected_code)) {
                    CheckOutcome::Verified
                } else {
                    CheckOutcome::CodeMismatch { found }
                }
            }
            Err(err) if err.is_nx_domain() => {
                // `_domaincall.<name>` does not exist; does `<name>` itself?
                let Ok(domain) = fqdn(name.as_str()) else {
                    return CheckOutcome::NoTxtRecord;
                };
                match resolver.lookup(domain, RecordType::SOA).await {
                    Err(err) if err.is_nx_domain() => CheckOutcome::NoSuchDomain,
                    _ => CheckOutcome::NoTxtRecord,
                }
            }
            Err(err) if err.is_no_records_found() => CheckOutcome::NoTxtRecord,
            Err(err) => failure(&err),
        }
    }

    fn resolver(&self) -> Result<TokioResolver, NetError> {
        TokioResolver::builder_with_config(self.config.clone(), TokioRuntimeProvider::default())
            .with_options(self.options.clone())
            .build()
    }
}

/// An absolute name, so no search domain is ever appended.
fn fqdn(name: &str) -> Result<Name, impl std::error::Error> {
    Name::from_ascii(format!("{name}."))
}

/// Whether one TXT value (character-strings already joined) is our record with `code`.
/// Lenient on what DNS control panels do to values: surrounding whitespace or quotes, case.
fn carries_code(value: &str, code: &str) -> bool {
    let value = value.trim().trim_matches('"').trim();
    value
        .get(..TXT_VALUE_PREFIX.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(TXT_VALUE_PREFIX))
        && value[TXT_VALUE_PREFIX.len()..]
            .trim()
            .eq_ignore_ascii_case(code.trim())
}

fn failure(err: &NetError) -> CheckOutcome {
    match err {
        NetError::Timeout => CheckOutcome::Timeout,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => {
            CheckOutcome::ServerFailure("the name servers answered SERVFAIL".to_owned())
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => {
            CheckOutcome::ServerFailure("the name servers refused the query".to_owned())
        }
        NetError::Dns(DnsError::ResponseCode(code)) => {
            CheckOutcome::ServerFailure(format!("the name servers answered {code}"))
        }
        NetError::Io(_) | NetError::NoConnections => {
            CheckOutcome::ServerFailure("no DNS server could be reached".to_owned())
        }
        other => CheckOutcome::ServerFailure(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_is_shown_exactly() {
        let name = DomainName::parse("Example.COM.").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            expected_record(&name, "0b1c"),
            "_domaincall.example.com TXT \"domaincall-verify=0b1c\""
        );
    }

    #[test]
    fn codes_are_uuid_v4() {
        let code = authorisation_code();
        let uuid = uuid::Uuid::parse_str(&code).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(uuid.get_version_num(), 4);
        assert_ne!(code, authorisation_code());
    }

    #[test]
    fn record_values_are_matched_leniently_but_exactly() {
        let code = "6f1c0e7a-2b9d-4c1e-9a55-0d3b2f6e8a10";
        assert!(carries_code(&format!("domaincall-verify={code}"), code));
        assert!(carries_code(
            &format!(" \"domaincall-verify={code}\" "),
            code
        ));
        assert!(carries_code(
            &format!("DomainCall-Verify={}", code.to_uppercase()),
            code
        ));
        assert!(!carries_code(&format!("domaincall-verify={code}x"), code));
        assert!(!carries_code(code, code));
        assert!(!carries_code("domaincall-verify=", code));
        assert!(!carries_code("v=spf1 -all", code));
    }

    #[test]
    fn every_outcome_has_a_message() {
        let outcomes = [
            CheckOutcome::Verified,
            CheckOutcome::NoSuchDomain,
            CheckOutcome::NoTxtRecord,
            CheckOutcome::CodeMismatch {
                found: vec!["domaincall-verify=old".to_owned()],
            },
            CheckOutcome::Timeout,
            CheckOutcome::ServerFailure("SERVFAIL".to_owned()),
        ];
        for outcome in outcomes {
            assert!(outcome.message().len() > 40, "{outcome:?}");
        }
    }
}
