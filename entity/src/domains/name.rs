//! A domain name a business claims as its phone line.
//!
//! Parse, don't validate: once a [`DomainName`] exists it is the canonical lowercase ASCII
//! form (IDNA UTS #46, A-labels), fits in DNS, is not an IP address, is not a public suffix
//! such as `co.uk` (nobody can prove they own those), and no label mixes Latin, Cyrillic and
//! Greek letters (the classic `pаypal.com` lookalike). Every refusal says what is wrong and
//! what to type instead, because the person typing is a business owner, not a DNS admin.
//!
//! Pure and IO-free (the Public Suffix List is compiled in), so it also runs in the browser.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use serde::{Deserialize, Serialize};
use unicode_script::{Script, UnicodeScript};

use crate::types::FieldError;

/// The label under a domain where its ownership record is published.
pub const TXT_RECORD_LABEL: &str = "_domaincall";

/// Longest name (ASCII form, without the trailing dot) that fits in DNS.
pub const MAX_NAME_LEN: usize = 253;
/// Longest label (the part between dots) that fits in DNS.
pub const MAX_LABEL_LEN: usize = 63;
/// Inputs longer than this are refused before any Unicode processing.
const MAX_INPUT_LEN: usize = 1024;

/// Scripts whose letters are easily confused with each other; one label must not mix them.
const CONFUSABLE_SCRIPTS: [Script; 3] = [Script::Latin, Script::Cyrillic, Script::Greek];

/// A valid, normalised domain name: lowercase ASCII (punycode for internationalised labels),
/// no trailing dot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

/// Why a domain name was refused. `Display` is a message for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainNameError {
    #[error("Enter a domain name, like example.com.")]
    Empty,
    #[error(
        "`{0}` looks like a web address: enter only the domain name, like example.com, \
         without `https://` or a path."
    )]
    LooksLikeUrl(String),
    #[error(
        "`{0}` looks like an email address: enter only the domain after the @, like example.com."
    )]
    LooksLikeEmail(String),
    #[error("`{input}` includes a port: enter only the domain name, without `:{port}`.")]
    HasPort { input: String, port: String },
    #[error(
        "`{0}` is an IP address: enter the domain name you own instead, like example.com \
         (ownership is proven with a DNS record, which an address cannot hold)."
    )]
    IpAddress(String),
    #[error(
        "`{label}` contains `{ch}`, which domain names cannot contain: use only letters, \
         digits and hyphens, with dots between the parts."
    )]
    InvalidCharacter { label: String, ch: char },
    #[error(
        "`{0}` contains characters that internationalised domain names do not allow: check \
         it for typos, or copy the name exactly as your registrar shows it."
    )]
    InvalidIdn(String),
    #[error(
        "`{0}` starts with `xn--` but is not valid punycode: check it for typos, or enter the \
         name in its Unicode form instead."
    )]
    InvalidPunycode(String),
    #[error(
        "`{0}` has an empty part (two dots in a row, or a dot at the start): remove the extra dot."
    )]
    EmptyLabel(String),
    #[error(
        "`{label}` is {len} characters long: each part between dots may have at most 63 \
         (counted in its punycode form)."
    )]
    LabelTooLong { label: String, len: usize },
    #[error(
        "The domain name is {0} characters long: at most 253 are allowed (counted in its \
         punycode form). Check that you entered only the domain."
    )]
    TooLong(usize),
    #[error("`{0}` starts or ends with a hyphen, which domain names do not allow: remove it.")]
    HyphenAtEdge(String),
    #[error(
        "`{0}` has hyphens in its 3rd and 4th characters, which are reserved (only \
         internationalised names, written `xn--…`, may have them) and cannot be registered: \
         check it for a typo."
    )]
    ReservedHyphens(String),
    #[error(
        "`{0}` ends in a number, and no top-level domain does: check for a typo, and enter a \
         domain name such as example.com rather than an address."
    )]
    NumericTopLevel(String),
    #[error("`{0}` is a public suffix: enter the domain you own under it, like example.{0}")]
    PublicSuffix(String),
    #[error(
        "`{0}` is only one part: enter your full domain name, with its ending, like example.com."
    )]
    SingleLabel(String),
    #[error(
        "`{label}` ({ascii}) mixes {} letters, a common trick to imitate another domain: \
         retype it with the letters of one alphabet only.",
        .scripts.join(" and ")
    )]
    MixedScript {
        /// The offending label in Unicode, as it looks.
        label: String,
        /// The same label in punycode.
        ascii: String,
        scripts: Vec<&'static str>,
    },
}

impl DomainNameError {
    /// A stable machine-readable code (for GraphQL error extensions and logs).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "EMPTY",
            Self::LooksLikeUrl(_) => "LOOKS_LIKE_URL",
            Self::LooksLikeEmail(_) => "LOOKS_LIKE_EMAIL",
            Self::HasPort { .. } => "HAS_PORT",
            Self::IpAddress(_) => "IP_ADDRESS",
            Self::InvalidCharacter { .. } => "INVALID_CHARACTER",
            Self::InvalidIdn(_) => "INVALID_IDN",
            Self::InvalidPunycode(_) => "INVALID_PUNYCODE",
            Self::EmptyLabel(_) => "EMPTY_LABEL",
            Self::LabelTooLong { .. } => "LABEL_TOO_LONG",
            Self::TooLong(_) => "TOO_LONG",
            Self::HyphenAtEdge(_) => "HYPHEN_AT_EDGE",
            Self::ReservedHyphens(_) => "RESERVED_HYPHENS",
            Self::NumericTopLevel(_) => "NUMERIC_TOP_LEVEL",
            Self::PublicSuffix(_) => "PUBLIC_SUFFIX",
            Self::SingleLabel(_) => "SINGLE_LABEL",
            Self::MixedScript { .. } => "MIXED_SCRIPT",
        }
    }

    /// This error as a form-field error for `field`.
    #[must_use]
    pub fn to_field_error(&self, field: &str) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: self.to_string(),
        }
    }
}

impl DomainName {
    /// Parses what a person typed (Unicode or punycode, any case, optional trailing dot)
    /// into the canonical ASCII form.
    ///
    /// # Errors
    /// A [`DomainNameError`] saying what is wrong and what to enter instead.
    pub fn parse(input: &str) -> Result<Self, DomainNameError> {
        use DomainNameError as E;
        let input = input.trim();
        if input.is_empty() || input == "." {
            return Err(E::Empty);
        }
        if input.len() > MAX_INPUT_LEN {
            return Err(E::TooLong(input.len()));
        }
        refuse_non_names(input)?;

        let uts46 = Uts46::new();
        let ascii = uts46
            .to_ascii(
                input.as_bytes(),
                AsciiDenyList::EMPTY,
                Hyphens::Allow,
                DnsLength::Ignore,
            )
            .map_err(|_| diagnose_idna_failure(&uts46, input))?;
        let ascii = ascii.strip_suffix('.').unwrap_or(&ascii);
        if ascii.is_empty() {
            return Err(E::Empty);
        }

        for label in ascii.split('.') {
            check_label(label, input)?;
        }
        if ascii.len() > MAX_NAME_LEN {
            return Err(E::TooLong(ascii.len()));
        }
        if ascii.parse::<Ipv4Addr>().is_ok() {
            return Err(E::IpAddress(input.to_owned()));
        }
        let tld = ascii.rsplit('.').next().unwrap_or(ascii);
        if tld.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::NumericTopLevel(input.to_owned()));
        }
        if psl::suffix(ascii.as_bytes())
            .is_some_and(|s| s.is_known() && s.as_bytes().len() == ascii.len())
        {
            return Err(E::PublicSuffix(ascii.to_owned()));
        }
        if !ascii.contains('.') {
            return Err(E::SingleLabel(ascii.to_owned()));
        }
        for label in ascii.split('.').filter(|l| l.starts_with("xn--")) {
            check_scripts(&uts46, label)?;
        }
        Ok(Self(ascii.to_owned()))
    }

    /// The canonical ASCII form (what DNS and the database see), e.g. `xn--e1afmkfd.xn--p1ai`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form to show people, with internationalised labels in Unicode, e.g. `пример.рф`.
    #[must_use]
    pub fn unicode(&self) -> String {
        let (unicode, result) =
            Uts46::new().to_unicode(self.0.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
        match result {
            Ok(()) => unicode.into_owned(),
            // Cannot happen for a parsed name; fall back to the ASCII form rather than show U+FFFD.
            Err(_) => self.0.clone(),
        }
    }

    /// Whether `self` is strictly below `other` (`sales.example.com` under `example.com`);
    /// a name is not a subdomain of itself.
    #[must_use]
    pub fn is_subdomain_of(&self, other: &DomainName) -> bool {
        self.0
            .strip_suffix(other.as_str())
            .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
    }

    /// The domain that can be registered (`example.co.uk` for `www.shop.example.co.uk`); a
    /// name that is itself registrable returns itself.
    #[must_use]
    pub fn registrable_domain(&self) -> DomainName {
        match psl::domain(self.0.as_bytes()) {
            Some(domain) => {
                let len = domain.as_bytes().len();
                Self(self.0[self.0.len() - len..].to_owned())
            }
            None => self.clone(),
        }
    }

    /// The enclosing names from the nearest up to the registrable domain, e.g. for
    /// `a.b.example.com`: `b.example.com`, `example.com`. Public suffixes are never included.
    /// Used for verification inheritance: a verified parent vouches for its subdomains.
    #[must_use]
    pub fn parent_domains(&self) -> Vec<DomainName> {
        let floor = self.registrable_domain().0.len();
        let mut parents = Vec::new();
        let mut rest = self.0.as_str();
        while let Some((_, parent)) = rest.split_once('.') {
            if parent.len() < floor {
                break;
            }
            parents.push(Self(parent.to_owned()));
            rest = parent;
        }
        parents
    }

    /// Where the ownership record lives: `_domaincall.<name>`.
    #[must_use]
    pub fn txt_record_name(&self) -> String {
        format!("{TXT_RECORD_LABEL}.{}", self.0)
    }
}

/// Refuses inputs that are clearly something else than a domain name: URLs, email
/// addresses, host:port pairs and IP addresses.
fn refuse_non_names(input: &str) -> Result<(), DomainNameError> {
    use DomainNameError as E;
    if input.contains("://") || input.contains(['/', '?', '#']) {
        return Err(E::LooksLikeUrl(input.to_owned()));
    }
    if input.contains('@') {
        return Err(E::LooksLikeEmail(input.to_owned()));
    }
    let bare = input.strip_suffix('.').unwrap_or(input);
    if let Some(inner) = bare.strip_prefix('[') {
        return match inner.strip_suffix(']') {
            Some(v6) if v6.parse::<Ipv6Addr>().is_ok() => Err(E::IpAddress(input.to_owned())),
            _ => Err(E::InvalidCharacter {
                label: input.to_owned(),
                ch: '[',
            }),
        };
    }
    if bare.parse::<IpAddr>().is_ok() {
        return Err(E::IpAddress(input.to_owned()));
    }
    if let Some((host, port)) = bare.rsplit_once(':') {
        if !host.contains(':') && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(ip) = host.parse::<Ipv4Addr>() {
                return Err(E::IpAddress(ip.to_string()));
            }
            return Err(E::HasPort {
                input: input.to_owned(),
                port: port.to_owned(),
            });
        }
    }
    Ok(())
}

/// IDNA refused the whole name; find the label to blame so the message can point at it.
fn diagnose_idna_failure(uts46: &Uts46, input: &str) -> DomainNameError {
    let dots = ['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'];
    for label in input.split(dots) {
        if label.is_empty() {
            continue;
        }
        let ok = uts46
            .to_ascii(
                label.as_bytes(),
                AsciiDenyList::EMPTY,
                Hyphens::Allow,
                DnsLength::Ignore,
            )
            .is_ok();
        if !ok {
            return if label.to_ascii_lowercase().starts_with("xn--") {
                DomainNameError::InvalidPunycode(label.to_owned())
            } else {
                DomainNameError::InvalidIdn(label.to_owned())
            };
        }
    }
    DomainNameError::InvalidIdn(input.to_owned())
}

/// LDH rules on one ASCII label.
fn check_label(label: &str, input: &str) -> Result<(), DomainNameError> {
    use DomainNameError as E;
    if label.is_empty() {
        return Err(E::EmptyLabel(input.to_owned()));
    }
    if let Some(ch) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(E::InvalidCharacter {
            label: label.to_owned(),
            ch,
        });
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(E::LabelTooLong {
            label: label.to_owned(),
            len: label.len(),
        });
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(E::HyphenAtEdge(label.to_owned()));
    }
    // IDNA reserves `??--` for future encodings (UTS #46 CheckHyphens, RFC 5891
    // §4.2.3.1); `xn--` labels were already decoded and checked as punycode.
    if label.get(2..4) == Some("--") && !label.starts_with("xn--") {
        return Err(E::ReservedHyphens(label.to_owned()));
    }
    Ok(())
}

/// Refuses a label (in punycode) whose Unicode form mixes Latin, Cyrillic or Greek letters.
/// Whole-script labels (`пример`, `例え`) and other mixes (Han with Latin, as Japanese
/// names do) are fine.
fn check_scripts(uts46: &Uts46, label: &str) -> Result<(), DomainNameError> {
    let (unicode, _) = uts46.to_unicode(label.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
    let mut seen: Vec<Script> = Vec::new();
    for script in unicode.chars().map(|c| c.script()) {
        if CONFUSABLE_SCRIPTS.contains(&script) && !seen.contains(&script) {
            seen.push(script);
        }
    }
    if seen.len() > 1 {
        return Err(DomainNameError::MixedScript {
            label: unicode.into_owned(),
            ascii: label.to_owned(),
            scripts: seen.into_iter().map(Script::full_name).collect(),
        });
    }
    Ok(())
}

impl AsRef<str> for DomainName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for DomainName {
    type Err = DomainNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for DomainName {
    type Error = DomainNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DomainName> for String {
    fn from(name: DomainName) -> Self {
        name.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;
    use DomainNameError as E;

    fn ok(input: &str) -> String {
        match DomainName::parse(input) {
            Ok(name) => name.as_str().to_owned(),
            Err(err) => panic!("{input:?} was refused: {err}"),
        }
    }

    fn err(input: &str) -> DomainNameError {
        match DomainName::parse(input) {
            Ok(name) => panic!("{input:?} was accepted as {name}"),
            Err(err) => err,
        }
    }

    #[test]
    fn accepted_inputs_are_normalised() {
        let long_label = "a".repeat(63);
        let cases: &[(&str, &str)] = &[
            ("example.com", "example.com"),
            ("  Example.COM  ", "example.com"),
            ("example.com.", "example.com"),
            ("sales.example.com", "sales.example.com"),
            ("www.shop.example.co.uk", "www.shop.example.co.uk"),
            ("EXAMPLE.co.uk.", "example.co.uk"),
            ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
            ("XN--E1AFMKFD.XN--P1AI", "xn--e1afmkfd.xn--p1ai"),
            ("例え.jp", "xn--r8jz45g.jp"),
            ("Bücher.example.de", "xn--bcher-kva.example.de"),
            ("ｅｘａｍｐｌｅ。ｃｏｍ", "example.com"),
            ("myname.github.io", "myname.github.io"),
            ("a-b--c.example", "a-b--c.example"),
            ("a--b.example", "a--b.example"),
            ("123.example.com", "123.example.com"),
            (&format!("{long_label}.com"), &format!("{long_label}.com")),
        ];
        for (input, expected) in cases {
            assert_eq!(ok(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn refused_inputs_say_why() {
        let label64 = "a".repeat(64);
        let label63 = "a".repeat(63);
        let too_long = format!("{label63}.{label63}.{label63}.{label63}.com");
        let label64_com = format!("{label64}.com");
        let cases: Vec<(&str, DomainNameError)> = vec![
            ("", E::Empty),
            ("   ", E::Empty),
            ("com", E::PublicSuffix("com".into())),
            ("co.uk", E::PublicSuffix("co.uk".into())),
            ("CO.UK.", E::PublicSuffix("co.uk".into())),
            ("github.io", E::PublicSuffix("github.io".into())),
            ("рф", E::PublicSuffix("xn--p1ai".into())),
            ("foo.ck", E::PublicSuffix("foo.ck".into())),
            ("localhost", E::SingleLabel("localhost".into())),
            ("192.168.0.1", E::IpAddress("192.168.0.1".into())),
            ("192.168.0.1.", E::IpAddress("192.168.0.1.".into())),
            ("::1", E::IpAddress("::1".into())),
            ("[2001:db8::1]", E::IpAddress("[2001:db8::1]".into())),
            ("１２７.０.０.１", E::IpAddress("１２７.０.０.１".into())),
            ("10.0.0.1:80", E::IpAddress("10.0.0.1".into())),
            ("example.123", E::NumericTopLevel("example.123".into())),
            (
                &label64_com,
                E::LabelTooLong {
                    label: label64.clone(),
                    len: 64,
                },
            ),
            (&too_long, E::TooLong(259)),
            ("example..com", E::EmptyLabel("example..com".into())),
            (".example.com", E::EmptyLabel(".example.com".into())),
            ("-example.com", E::HyphenAtEdge("-example".into())),
            ("example-.com", E::HyphenAtEdge("example-".into())),
            (
                "_dmarc.example.com",
                E::InvalidCharacter {
                    label: "_dmarc".into(),
                    ch: '_',
                },
            ),
            (
                "exa mple.com",
                E::InvalidCharacter {
                    label: "exa mple".into(),
                    ch: ' ',
                },
            ),
            (
                "https://example.com/",
                E::LooksLikeUrl("https://example.com/".into()),
            ),
            (
                "example.com/call",
                E::LooksLikeUrl("example.com/call".into()),
            ),
            (
                "info@example.com",
                E::LooksLikeEmail("info@example.com".into()),
            ),
            (
                "example.com:8080",
                E::HasPort {
                    input: "example.com:8080".into(),
                    port: "8080".into(),
                },
            ),
            ("xn--a.com", E::InvalidPunycode("xn--a".into())),
            ("ab--cd.com", E::ReservedHyphens("ab--cd".into())),
            ("shop.R3--X.example.com", E::ReservedHyphens("r3--x".into())),
            ("zz--.com", E::HyphenAtEdge("zz--".into())),
        ];
        for (input, expected) in cases {
            assert_eq!(err(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn mixed_script_lookalikes_are_refused() {
        // Cyrillic а in a Latin name, as typed and as punycode; Greek ο in a Latin name.
        for input in [
            "pаypal.com",
            "xn--pypal-4ve.com",
            "gοogle.com",
            "shop.pаypal.com",
        ] {
            let error = err(input);
            assert_eq!(error.code(), "MIXED_SCRIPT", "input {input:?}: {error}");
        }
        let E::MixedScript { scripts, .. } = err("pаypal.com") else {
            unreachable!()
        };
        assert_eq!(scripts, ["Latin", "Cyrillic"]);
        // Whole-script names and Latin with Han stay valid.
        for input in ["пример.рф", "παράδειγμα.gr", "例え.jp", "abc中文.example"]
        {
            ok(input);
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        assert_eq!(
            err("co.uk").to_string(),
            "`co.uk` is a public suffix: enter the domain you own under it, like example.co.uk"
        );
        assert!(err("pаypal.com").to_string().contains("Latin and Cyrillic"));
        assert!(err("").to_string().contains("example.com"));
        let field = err("com").to_field_error("domain");
        assert_eq!(field.field, "domain");
        assert!(field.message.contains("public suffix"));
    }

    #[test]
    fn unicode_form_is_for_display() {
        let name = DomainName::parse("XN--E1AFMKFD.xn--p1ai").unwrap();
        assert_eq!(name.unicode(), "пример.рф");
        assert_eq!(name.to_string(), "xn--e1afmkfd.xn--p1ai");
        assert_eq!(name.as_ref(), "xn--e1afmkfd.xn--p1ai");
        assert_eq!(
            DomainName::parse("Example.com").unwrap().unicode(),
            "example.com"
        );
    }

    #[test]
    fn subdomains_and_parents() {
        let parse = |s: &str| DomainName::parse(s).unwrap();
        let apex = parse("example.com");
        assert!(parse("sales.example.com").is_subdomain_of(&apex));
        assert!(parse("a.b.example.com").is_subdomain_of(&apex));
        assert!(!apex.is_subdomain_of(&apex));
        assert!(!parse("badexample.com").is_subdomain_of(&apex));
        assert!(!apex.is_subdomain_of(&parse("sales.example.com")));

        let parents = |s: &str| -> Vec<String> {
            parse(s)
                .parent_domains()
                .into_iter()
                .map(String::from)
                .collect()
        };
        assert_eq!(parents("a.b.example.com"), ["b.example.com", "example.com"]);
        assert_eq!(
            parents("www.shop.example.co.uk"),
            ["shop.example.co.uk", "example.co.uk"]
        );
        assert_eq!(parents("sales.me.github.io"), ["me.github.io"]);
        assert!(parents("example.com").is_empty());
        assert_eq!(
            parse("www.example.co.uk").registrable_domain(),
            parse("example.co.uk")
        );
    }

    #[test]
    fn txt_record_name_is_under_the_domain() {
        let name = DomainName::parse("Sales.Example.com.").unwrap();
        assert_eq!(name.txt_record_name(), "_domaincall.sales.example.com");
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let name = DomainName::parse("пример.рф").unwrap();
        let json = serde_json::to_string(&name).unwrap();
        assert_eq!(json, "\"xn--e1afmkfd.xn--p1ai\"");
        assert_eq!(serde_json::from_str::<DomainName>(&json).unwrap(), name);
        assert_eq!(
            serde_json::from_str::<DomainName>("\"Example.COM\"")
                .unwrap()
                .as_str(),
            "example.com"
        );
        assert!(serde_json::from_str::<DomainName>("\"co.uk\"").is_err());
    }

    fn inputs() -> impl Strategy<Value = String> {
        let label = "[a-zA-Z0-9-]{1,20}|[a-zäöüßéа-яα-ω例え中文]{1,8}|xn--[a-z0-9-]{1,12}";
        prop_oneof![
            prop::collection::vec(label, 1..5).prop_map(|labels| labels.join(".")),
            "[ a-zA-Z0-9.\\-_:/@\\[\\]]{0,40}",
            "\\PC{0,30}",
        ]
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(input in inputs()) {
            if let Ok(name) = DomainName::parse(&input) {
                let again = DomainName::parse(name.as_str());
                prop_assert_eq!(again.as_ref(), Ok(&name));
                let from_unicode = DomainName::parse(&name.unicode());
                prop_assert_eq!(from_unicode.as_ref(), Ok(&name));
            }
        }

        #[test]
        fn output_is_short_lowercase_ascii(input in inputs()) {
            if let Ok(name) = DomainName::parse(&input) {
                let s = name.as_str();
                prop_assert!(s.len() <= MAX_NAME_LEN);
                prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit() || b == b'-' || b == b'.'));
                prop_assert!(s.split('.').all(|l| !l.is_empty() && l.len() <= MAX_LABEL_LEN));
                prop_assert!(s.contains('.'));
            }
        }
    }
}
