use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_type_rules")]
pub struct Model {
    /// One row per business at most (none: the default thresholds).
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_id: Uuid,
    pub repeat_calls: i64,
    pub premium_calls: i64,
    pub premium_total_minor: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
