use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_checks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    pub domain_id: Uuid,
    /// `manual`, `pending` (automatic re-check while pending) or `reverify`.
    pub trigger: String,
    /// [`crate::domains::CheckOutcome::code`].
    pub outcome: String,
    /// What happened and what to do next, as shown then.
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub checked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
