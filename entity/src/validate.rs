//! Parse, don't validate: newtypes for user input that every front door shares.
//!
//! These are pure (no IO) and compile to wasm, so the browser can give the same answer
//! as the server before a form is sent.

use serde::{Deserialize, Serialize};

use crate::types::FieldError;

pub(crate) fn field_error(field: &str, message: &str) -> FieldError {
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

/// The least zxcvbn score (0–4) a new password needs: 3 is "safely unguessable", at
/// least 10^8 guesses — out of reach of online guessing and costly offline against argon2.
#[cfg(feature = "db")]
pub const MIN_PASSWORD_SCORE: u8 = 3;

/// A new password that meets the length rules and is hard to guess (zxcvbn). Never
/// logged, never displayed. Only the server parses one: the strength estimator's
/// dictionaries stay out of the browser's wasm.
#[cfg(feature = "db")]
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

#[cfg(feature = "db")]
impl NewPassword {
    /// Checks a password chosen by a user.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when it is too short, too long or too easy to guess.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        Self::parse_for(field, input, &[])
    }

    /// [`NewPassword::parse`], also refusing passwords built from `about` (the account's
    /// email, its business name): what an attacker who targets this account tries first.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` saying why the password is refused.
    pub fn parse_for(field: &str, input: &str, about: &[&str]) -> Result<Self, FieldError> {
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
        let estimate = zxcvbn::zxcvbn(input, about);
        if u8::from(estimate.score()) < MIN_PASSWORD_SCORE {
            return Err(field_error(field, &weak_password_message(&estimate)));
        }
        Ok(Self(input.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a password is too easy to guess, and what would help, in the estimator's words.
#[cfg(feature = "db")]
fn weak_password_message(estimate: &zxcvbn::Entropy) -> String {
    let mut message = "This password is too easy to guess.".to_owned();
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            message.push(' ');
            message.push_str(&warning.to_string());
        }
        for suggestion in feedback.suggestions() {
            message.push(' ');
            message.push_str(&suggestion.to_string());
        }
    }
    if estimate
        .feedback()
        .is_none_or(|f| f.suggestions().is_empty())
    {
        message.push_str(" Try a few unrelated words.");
    }
    message
}

#[cfg(feature = "db")]
impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// The longest display name we accept.
pub const MAX_DISPLAY_NAME: usize = 60;

/// How a member is addressed in the dashboard ("Sam Lee"): trimmed, at most
/// [`MAX_DISPLAY_NAME`] characters, no control or text-direction characters (which would
/// let a name reorder the text around it in a list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a display name; an empty (or blank) one means "none: show my email".
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when too long or containing control characters.
    pub fn parse(field: &str, input: &str) -> Result<Option<Self>, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > MAX_DISPLAY_NAME {
            return Err(field_error(
                field,
                &format!("Use at most {MAX_DISPLAY_NAME} characters for your name."),
            ));
        }
        let direction = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if s.chars().any(|c| c.is_control() || direction(c)) {
            return Err(field_error(
                field,
                "Your name cannot contain control or text-direction characters.",
            ));
        }
        Ok(Some(Self(s.to_owned())))
    }
}

impl AsRef<str> for DisplayName {
    fn as_ref(&self) -> &str {
        &self.0
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

    #[cfg(feature = "db")]
    #[test]
    fn passwords() {
        assert!(NewPassword::parse("password", "short").is_err());
        assert!(NewPassword::parse("password", &"x".repeat(129)).is_err());
        assert!(NewPassword::parse("password", "long enough pw").is_ok());
        assert_eq!(
            format!("{:?}", NewPassword::parse("p", "correct horse battery")),
            "Ok(NewPassword(…))"
        );
    }

    #[cfg(feature = "db")]
    #[test]
    fn guessable_passwords_are_refused_with_the_reason() {
        for weak in [
            "aaaaaaaaaa",
            "password123",
            "1234567890",
            "qwertyuiop",
            "secretsecret",
        ] {
            let e = NewPassword::parse("password", weak).err();
            let message = e.map(|e| e.message).unwrap_or_default();
            assert!(
                message.starts_with("This password is too easy to guess."),
                "{weak}: {message}"
            );
        }
        let repeated = NewPassword::parse("password", "aaaaaaaaaa").err();
        assert!(repeated.is_some_and(|e| e.message.contains("Repeats like")));
        // The account's own email is the first thing tried.
        let own = "ann.lee@example.com";
        assert!(NewPassword::parse("password", own).is_ok());
        assert!(NewPassword::parse_for("password", own, &[own]).is_err());
    }

    #[test]
    fn display_names() {
        assert_eq!(DisplayName::parse("n", "  "), Ok(None));
        assert_eq!(
            DisplayName::parse("n", " Sam Lee ").map(|n| n.map(|n| n.as_ref().to_owned())),
            Ok(Some("Sam Lee".to_owned()))
        );
        assert!(DisplayName::parse("n", &"x".repeat(61)).is_err());
        assert!(DisplayName::parse("n", "Sam\u{202e}moc.evil").is_err());
        assert!(DisplayName::parse("n", "Sam\nLee").is_err());
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
