use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    pub call_id: Uuid,
    /// `requested`, `offered`, `rejected`, `accepted`, `transfer_offered`,
    /// `transfer_failed`, `transferred`, `chat`, `ended`.
    pub kind: String,
    /// Who acted: `caller:<name>`, `agent:<user id>` or `server`.
    pub actor: String,
    /// What else there is to say: the devices offered, the end reason, the chat text…
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
