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
    #[error("`{0}` has an empty part (two dots in a row, or a dot at the start): remove the extra dot.")]
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
        "`{0}` ends in a number, and no top-level domain does: check for a typo, and enter a \
         domain name such as example.com rather than an address."
    )]
    NumericTopLevel(String),
    #[error("`{0}` is a public suffix: enter the domain you own under it, like example.{0}")]
    PublicSuffix(String),
    #[error("`{0}` is only one part: enter your full domain name, like {0}.com or example.com.")]
    SingleLabel(String),
    #[error(
        "`{label}` mixes {} letters, a common trick to imitate another domain: retype it with \
         the letters of one alphabet only.",
        .scripts.join(" and ")
    )]
    MixedScript {
        label: String,
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
            label: format!("{unicode} ({label})"),
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

