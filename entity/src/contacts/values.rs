//! What people and integrations type into a contact or a purchase, parsed once.

use serde::{Deserialize, Serialize};

use crate::types::FieldError;

/// The longest name, address, phone, product or external reference, in characters.
pub const MAX_FIELD: usize = 200;
/// The longest note, in characters.
pub const MAX_NOTE: usize = 5000;
/// At most this many tags per contact, each at most [`MAX_TAG`] characters.
pub const MAX_TAGS: usize = 20;
/// The longest tag, in characters.
pub const MAX_TAG: usize = 40;

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// An ISO 4217 currency code: three upper-case ASCII letters (`eur` is read as `EUR`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Currency(String);

impl Currency {
    /// Parses a currency code.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` for anything but three ASCII letters.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let code = input.trim().to_ascii_uppercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(error(
                field,
                "A currency is an ISO 4217 code of three letters, such as EUR or USD.",
            ))
        }
    }
}

impl AsRef<str> for Currency {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A short free-text field: trimmed, at most [`MAX_FIELD`] characters; blank is `None`.
///
/// # Errors
/// A [`FieldError`] on `field` when it is too long.
pub fn optional_text(field: &str, input: Option<&str>) -> Result<Option<String>, FieldError> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > MAX_FIELD => Err(error(
            field,
            format!("This is too long; at most {MAX_FIELD} characters."),
        )),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// A required short free-text field.
///
/// # Errors
/// A [`FieldError`] on `field` when it is blank or too long.
pub fn required_text(field: &str, input: &str, what: &str) -> Result<String, FieldError> {
    optional_text(field, Some(input))?.ok_or_else(|| error(field, format!("Enter {what}.")))
}

/// A note's text: trimmed, not blank, at most [`MAX_NOTE`] characters.
///
/// # Errors
/// A [`FieldError`] on `text`.
pub fn note_text(input: &str) -> Result<String, FieldError> {
    let text = input.trim();
    let len = text.chars().count();
    if text.is_empty() {
        Err(error("text", "Write something in the note."))
    } else if len > MAX_NOTE {
        Err(error(
            "text",
            format!("The note is {len} characters long; at most {MAX_NOTE} are allowed."),
        ))
    } else {
        Ok(text.to_owned())
    }
}

/// A contact's tags: trimmed, lower-cased, without duplicates or blanks, in the given order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags(Vec<String>);

impl Tags {
    /// Parses a list of tags.
    ///
    /// # Errors
    /// A [`FieldError`] on `tags` for more than [`MAX_TAGS`] tags, a tag longer than
    /// [`MAX_TAG`] characters, or one with a quote, a backslash or a control character.
    pub fn parse(input: &[String]) -> Result<Self, FieldError> {
        let mut tags: Vec<String> = Vec::new();
        for raw in input {
            let tag = raw.trim().to_lowercase();
            if tag.is_empty() || tags.contains(&tag) {
                continue;
            }
            if tag.chars().count() > MAX_TAG {
                return Err(error(
                    "tags",
                    format!("A tag is at most {MAX_TAG} characters."),
                ));
            }
            if tag.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
                return Err(error(
                    "tags",
                    "A tag cannot contain quotes, backslashes or control characters.",
                ));
            }
            tags.push(tag);
        }
        if tags.len() > MAX_TAGS {
            return Err(error(
                "tags",
                format!("A contact has at most {MAX_TAGS} tags."),
            ));
        }
        Ok(Self(tags))
    }

    /// The stored form (a JSON list).
    #[must_use]
    pub fn stored(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Reads the stored form (anything unreadable is no tags).
    #[must_use]
    pub fn from_stored(stored: &str) -> Self {
        Self(serde_json::from_str(stored).unwrap_or_default())
    }

    /// The tags.
    #[must_use]
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether `tag` (lower-cased) is one of them.
    #[must_use]
    pub fn contains(&self, tag: &str) -> bool {
        let tag = tag.trim().to_lowercase();
        self.0.contains(&tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(Currency::parse("c", " eur ").map(|c| c.0), Ok("EUR".into()));
        for bad in ["", "EU", "EURO", "E1R", "€UR", "ÉUR"] {
            assert!(Currency::parse("currency", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_normalised_and_round_trip() {
        let tags = Tags::parse(&[" VIP ".into(), "vip".into(), "".into(), "Wholesale".into()]);
        let tags = tags.unwrap_or_default();
        assert_eq!(tags.as_slice(), ["vip", "wholesale"]);
        assert_eq!(Tags::from_stored(&tags.stored()), tags);
        assert!(tags.contains("VIP"));
        assert!(Tags::parse(&["a\"b".into()]).is_err());
        assert!(Tags::parse(&["x".repeat(41)]).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(Tags::parse(&many).is_err());
    }

    #[test]
    fn notes_and_fields_are_bounded() {
        assert!(note_text("   ").is_err());
        assert!(note_text(&"a".repeat(MAX_NOTE + 1)).is_err());
        assert_eq!(note_text("  hi "), Ok("hi".into()));
        assert_eq!(optional_text("name", Some("  ")), Ok(None));
        assert!(required_text("product", " ", "a product").is_err());
        assert!(optional_text("name", Some(&"a".repeat(201))).is_err());
    }
}
