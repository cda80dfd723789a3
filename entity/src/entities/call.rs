use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls")]
pub struct Model {
    /// The call id (128 random bits).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    /// The business domain that was called (ASCII form).
    pub domain: String,
    /// The intent the caller named, if any (not resolved yet).
    pub intent: Option<Uuid>,
    /// [`crate::calls::CallMode`] in its wire form.
    pub mode: String,
    /// The caller's verified domain or guest name.
    pub caller_name: String,
    pub caller_verified: bool,
    /// `ringing`, `connected` or `ended`.
    pub state: String,
    /// [`crate::calls::EndReason`] in its wire form, once ended.
    pub end_reason: Option<String>,
    /// [`crate::calls::UnavailableReason`] when it ended `unavailable`.
    pub unavailable_reason: Option<String>,
    pub requested_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    /// The member who answered.
    pub answered_by: Option<Uuid>,
    /// Request → accept, in milliseconds.
    pub wait_ms: Option<i64>,
    /// What the answering agent wrote down after the call (at most 5000 characters).
    pub notes: Option<String>,
    /// The CRM contact the call was matched to, once the record writer matched it.
    pub contact_id: Option<Uuid>,
    /// The callback this call returns (an outbound call), if it is one.
    pub callback_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
