use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "callbacks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    /// The CRM contact of the email it was left with.
    pub contact_id: Option<Uuid>,
    /// The intent the caller had picked.
    pub intent_id: Option<Uuid>,
    /// The business domain the caller called (ASCII form).
    pub called_domain: String,
    /// The caller identity that asked: a guest name or a verified domain.
    pub caller_name: String,
    pub caller_verified: bool,
    /// Where to reach the caller (validated, as typed).
    pub email: String,
    pub name: Option<String>,
    pub note: Option<String>,
    /// [`crate::callbacks::CallbackStatus`] in its stored form.
    pub status: String,
    /// The member calling back (the last who pressed "call back now").
    pub member_id: Option<Uuid>,
    /// The unanswered call it was asked from.
    pub call_id: Option<Uuid>,
    /// When a scheduled callback is due (its booked slot).
    pub slot_at: Option<DateTimeUtc>,
    /// The caller's IANA time zone, as their browser said (the reminder uses it).
    pub caller_zone: Option<String>,
    /// When the reminder before the booked time was sent.
    pub reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
