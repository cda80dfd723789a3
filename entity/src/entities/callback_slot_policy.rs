use sea_orm::entity::prelude::*;

/// How a business cuts callback slots from its opening hours (absent: the defaults).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "callback_slot_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_id: Uuid,
    pub slot_minutes: i32,
    pub buffer_minutes: i32,
    pub notice_minutes: i32,
    pub window_days: i32,
    pub capacity: i32,
    pub reminder_minutes: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
