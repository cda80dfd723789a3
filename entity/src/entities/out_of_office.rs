use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "out_of_office")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    /// `None`: the business's switch; else the member's.
    pub user_id: Option<Uuid>,
    /// The switch as last set (it stops applying at `until` without being turned off).
    pub enabled: bool,
    /// What callers are told.
    pub message: String,
    pub until: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
