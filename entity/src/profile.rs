//! The business profile: its name, the greeting its call page shows callers, and its logo.
//!
//! The logo is an image uploaded by an owner or admin: PNG, JPEG or WebP, at most
//! [`MAX_LOGO_BYTES`], its type read off its first bytes (never taken from the upload's
//! name or declared type), kept in `business_logos` and served from `/logo/<business>` with
//! that type and `nosniff`. SVG is refused: it can carry script.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A logo's largest size.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;
/// A greeting's longest length, in characters.
pub const MAX_GREETING: usize = 280;

/// The profile as the dashboard and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub name: String,
    /// What the call page says to callers; `None`: nothing.
    pub greeting: Option<String>,
    /// Where the logo is served (changes with each new logo); `None`: no logo.
    pub logo_url: Option<String>,
}

/// The address of a business's logo, as of its last change (so caches follow).
#[must_use]
pub fn logo_url(business_id: Uuid, updated_at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "/logo/{}?v={}",
        business_id.simple(),
        updated_at.timestamp_millis()
    )
}

/// The image type of `bytes` by their signature: PNG, JPEG or WebP; `None` for anything
/// else (SVG, HTML, a GIF, a truncated file…).
#[must_use]
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Why an upload is not a logo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoRefusal {
    Empty,
    TooBig,
    NotImage,
}

impl LogoRefusal {
    /// The stable code (the upload's redirect says it: `?logo=too_big`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooBig => "too_big",
            Self::NotImage => "not_image",
        }
    }

    /// What it means, for people.
    #[must_use]
    pub fn message(self) -> String {
        match self {
            Self::Empty => "Choose an image file.".to_owned(),
            Self::TooBig => format!("Use an image of at most {} KB.", MAX_LOGO_BYTES / 1024),
            Self::NotImage => "Use a PNG, JPEG or WebP image.".to_owned(),
        }
    }
}

/// The image type of an upload that may be a logo.
///
/// # Errors
/// Why it may not: empty, over [`MAX_LOGO_BYTES`], or not a PNG, JPEG or WebP image.
pub fn check_logo(bytes: &[u8]) -> Result<&'static str, LogoRefusal> {
    if bytes.is_empty() {
        return Err(LogoRefusal::Empty);
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(LogoRefusal::TooBig);
    }
    image_type(bytes).ok_or(LogoRefusal::NotImage)
}

#[cfg(feature = "db")]
mod store {
    use chrono::Utc;
    use sea_orm::{prelude::*, ActiveValue::Set, QuerySelect};

    use super::{check_logo, logo_url, ProfileView, MAX_GREETING};
    use crate::auth::accounts::MAX_BUSINESS_NAME;
    use crate::auth::Principal;
    use crate::entities::{business, business_logo};
    use crate::validate::Label;
    use crate::DomainError;

    /// The new name and greeting (blank: none).
    #[derive(Clone, Debug, Default)]
    pub struct ProfileInput {
        pub name: String,
        pub greeting: Option<String>,
    }

    async fn business_row(
        db: &impl ConnectionTrait,
        business_id: Uuid,
    ) -> Result<business::Model, DomainError> {
        business::Entity::find_by_id(business_id)
            .one(db)
            .await?
            .ok_or(DomainError::NotFound("business"))
    }

    /// Where `business_id`'s logo is served, if it has one (reads its date only).
    ///
    /// # Errors
    /// A database failure.
    pub async fn logo_url_of(
        db: &impl ConnectionTrait,
        business_id: Uuid,
    ) -> Result<Option<String>, DomainError> {
        let updated: Option<chrono::DateTime<Utc>> = business_logo::Entity::find_by_id(business_id)
            .select_only()
            .column(business_logo::Column::UpdatedAt)
            .into_tuple()
            .one(db)
            .await?;
        Ok(updated.map(|at| logo_url(business_id, at)))
    }

    /// The principal's business's profile (every member may read it).
    ///
    /// # Errors
    /// A database failure.
    pub async fn profile(
        db: &impl ConnectionTrait,
        principal: &Principal,
    ) -> Result<ProfileView, DomainError> {
        let row = business_row(db, principal.business_id).await?;
        Ok(ProfileView {
            name: row.name,
            greeting: row.greeting,
            logo_url: logo_url_of(db, principal.business_id).await?,
        })
    }

    /// Renames the business and sets its greeting (owners and admins).
    ///
    /// # Errors
    /// `Forbidden` for agents; `Validation` for an empty or too long name, or a greeting
    /// over [`MAX_GREETING`] characters or with control characters other than line breaks.
    pub async fn set_profile(
        db: &impl ConnectionTrait,
        principal: &Principal,
        input: &ProfileInput,
    ) -> Result<ProfileView, DomainError> {
        principal.require_manager()?;
        let mut errors = Vec::new();
        let name = Label::parse("name", &input.name, MAX_BUSINESS_NAME)
            .map_err(|e| errors.push(e))
            .ok();
        let greeting = input
            .greeting
            .as_deref()
            .map(|g| g.trim().replace("\r\n", "\n"))
            .filter(|g| !g.is_empty());
        if let Some(g) = &greeting {
            if g.chars().count() > MAX_GREETING {
                errors.push(crate::validate::field_error(
                    "greeting",
                    &format!("Use at most {MAX_GREETING} characters."),
                ));
            } else if g.chars().any(|c| c.is_control() && c != '\n') {
                errors.push(crate::validate::field_error(
                    "greeting",
                    "This cannot contain control characters.",
                ));
            }
        }
        let (Some(name), true) = (name, errors.is_empty()) else {
            return Err(DomainError::Validation(errors));
        };
        let mut row: business::ActiveModel = business_row(db, principal.business_id).await?.into();
        row.name = Set(name.as_ref().to_owned());
        row.greeting = Set(greeting);
        row.update(db).await?;
        tracing::info!(business_id = %principal.business_id, "business profile changed");
        profile(db, principal).await
    }

    /// Sets the business's logo to the image `bytes` (owners and admins).
    ///
    /// # Errors
    /// `Forbidden` for agents; `Validation` for an empty or oversize file or one that is not
    /// a PNG, JPEG or WebP image.
    pub async fn set_logo(
        db: &impl ConnectionTrait,
        principal: &Principal,
        bytes: Vec<u8>,
    ) -> Result<ProfileView, DomainError> {
        principal.require_manager()?;
        let content_type =
            check_logo(&bytes).map_err(|why| DomainError::invalid("logo", why.message()))?;
        let row = business_logo::ActiveModel {
            business_id: Set(principal.business_id),
            content_type: Set(content_type.to_owned()),
            bytes: Set(bytes),
            updated_at: Set(Utc::now()),
        };
        business_logo::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(business_logo::Column::BusinessId)
                    .update_columns([
                        business_logo::Column::ContentType,
                        business_logo::Column::Bytes,
                        business_logo::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        tracing::info!(business_id = %principal.business_id, content_type, "business logo set");
        profile(db, principal).await
    }

    /// Removes the business's logo (owners and admins); nothing when it has none.
    ///
    /// # Errors
    /// `Forbidden` for agents; a database failure.
    pub async fn remove_logo(
        db: &impl ConnectionTrait,
        principal: &Principal,
    ) -> Result<ProfileView, DomainError> {
        principal.require_manager()?;
        business_logo::Entity::delete_many()
            .filter(business_logo::Column::BusinessId.eq(principal.business_id))
            .exec(db)
            .await?;
        profile(db, principal).await
    }

    /// `business_id`'s logo, to serve (public: it is on the call page).
    ///
    /// # Errors
    /// A database failure.
    pub async fn logo(
        db: &impl ConnectionTrait,
        business_id: Uuid,
    ) -> Result<Option<business_logo::Model>, DomainError> {
        Ok(business_logo::Entity::find_by_id(business_id)
            .one(db)
            .await?)
    }
}

#[cfg(feature = "db")]
pub use store::{logo, logo_url_of, profile, remove_logo, set_logo, set_profile, ProfileInput};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_by_their_bytes_not_their_names() {
        assert_eq!(
            image_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(image_type(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        for bad in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            b"<!doctype html><script>alert(1)</script>",
            b"GIF89a",
            b"\x89PNG",
            b"RIFF\0\0\0\0WAVE",
            b"",
        ] {
            assert_eq!(image_type(bad), None, "{bad:?}");
        }
    }
}
