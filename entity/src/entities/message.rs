use sea_orm::entity::prelude::*;

/// A message a caller left: a text, a voice recording, or both.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub intent_id: Option<Uuid>,
    pub called_domain: String,
    pub caller_name: String,
    pub caller_verified: bool,
    pub email: Option<String>,
    pub name: Option<String>,
    pub text: Option<String>,
    /// The recording's type; `None` for a text-only message.
    pub audio_type: Option<String>,
    pub audio_bytes: Option<i64>,
    pub audio_ms: Option<i64>,
    pub status: String,
    pub handled_by: Option<Uuid>,
    pub handled_at: Option<DateTimeUtc>,
    pub callback_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
