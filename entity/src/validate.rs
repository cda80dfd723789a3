//! Parse, don't validate: newtypes for user input that every front door shares.
//!
//! These are pure (no IO) and compile to wasm, so the browser can give the same answer
//! as the server before a form is sent.

use serde::{Deserialize, Serialize};

use crate::types::FieldError;

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

/// An email address: trimmed, lowercased, with a plausible local part and domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses `input` as an email address.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` saying what is wrong.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_lowercase();
        let err = |m: &str| Err(field_error(field, m));
        if s.is_empty() {
            return err("Enter an email address.");
        }
        if s.len() > 254 {
            return err("That email address is too long.");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("An email address cannot contain spaces.");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return err("An email address needs an @, like name@example.com.");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return err("The part before the @ is not valid.");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return err("The part before the @ is not valid.");
        }
        // What mail can be sent to: RFC 5322 `dot-atom` (letters, digits and
        // ``!#$%&'*+-/=?^_`{|}~``; any letter or digit with SMTPUTF8, RFC 6531). Quotes,
        // `<`, `>`, `(`, `)`, `,`, `;`, `:`, `\`, `[` and `]` never reach a mail header.
        if let Some(c) = local
            .chars()
            .find(|&c| !(c.is_alphanumeric() || c == '.' || "!#$%&'*+-/=?^_`{|}~".contains(c)))
        {
            return err(&format!(
                "The part before the @ cannot contain `{c}`: use letters, digits, dots and - _ + only."
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return err("The part after the @ must be a domain, like example.com.");
        }
        Ok(Self(s))
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The minimum password length we accept.
pub const MIN_PASSWORD_LEN: usize = 10;
/// The maximum, so hashing cannot be used to burn our CPU.
pub const MAX_PASSWORD_LEN: usize = 128;

/// A new password that meets the length rules. Never logged, never displayed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// Checks a password chosen by a user.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when it is too short or too long.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let n = input.chars().count();
        if n < MIN_PASSWORD_LEN {
            return Err(field_error(
                field,
                &format!("Use at least {MIN_PASSWORD_LEN} characters for the password."),
            ));
        }
        if n > MAX_PASSWORD_LEN {
            return Err(field_error(
                field,
                &format!("Use at most {MAX_PASSWORD_LEN} characters for the password."),
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// A short human label (business name, API key name): trimmed, 1 to `max` characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label(String);

impl Label {
    /// Parses a label of at most `max` characters.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when empty, too long or containing control characters.
    pub fn parse(field: &str, input: &str, max: usize) -> Result<Self, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(field_error(field, "This cannot be empty."));
        }
        if s.chars().count() > max {
            return Err(field_error(
                field,
                &format!("Use at most {max} characters."),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(field_error(
                field,
                "This cannot contain control characters.",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        let ok = [
            "a@b.co",
            " Ann.Lee@Example.COM ",
            "x+tag@sub.example.org",
            "o'brien@example.ie",
            "jörg@example.de",
        ];
        for e in ok {
            assert!(EmailAddress::parse("email", e).is_ok(), "{e} should parse");
        }
        assert_eq!(
            EmailAddress::parse("email", " Ann@Example.COM ").map(|e| e.to_string()),
            Ok("ann@example.com".to_owned())
        );
        let bad = [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@c.com",
            "a@-b.com",
            "a..b@c.com",
            "a@b..com",
            // Not mailable: markup and header syntax in the local part.
            "\"><svg/onload=x>@example.com",
            "</title><img/src=x>@example.com",
            "a<b@example.com",
            "\"quoted\"@example.com",
            "a,b@example.com",
            "a;b@example.com",
            "a:b@example.com",
            "a\\b@example.com",
            "a(b)@example.com",
        ];
        for e in bad {
            assert!(
                EmailAddress::parse("email", e).is_err(),
                "{e:?} should be refused"
            );
        }
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("password", "short").is_err());
        assert!(NewPassword::parse("password", &"x".repeat(129)).is_err());
        assert!(NewPassword::parse("password", "long enough pw").is_ok());
        assert_eq!(
            format!("{:?}", NewPassword::parse("p", "secretsecret")),
            "Ok(NewPassword(…))"
        );
    }

    proptest! {
        #[test]
        fn email_parse_is_idempotent(s in "[a-zA-Z0-9.+@-]{0,40}") {
            if let Ok(e) = EmailAddress::parse("email", &s) {
                prop_assert_eq!(EmailAddress::parse("email", e.as_ref()), Ok(e));
            }
        }

        #[test]
        fn labels_are_trimmed_and_bounded(s in "\\PC{0,60}") {
            if let Ok(l) = Label::parse("name", &s, 40) {
                prop_assert_eq!(l.as_ref().trim(), l.as_ref());
                prop_assert!(!l.as_ref().is_empty() && l.as_ref().chars().count() <= 40);
            }
        }
    }
}
