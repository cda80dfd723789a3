use sea_orm::entity::prelude::*;

/// One booked seat of a callback slot; `(business_id, slot_at, seat)` is unique, which
/// is what holds a slot to its capacity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "callback_bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    pub callback_id: Uuid,
    pub slot_at: DateTimeUtc,
    /// `0..capacity`.
    pub seat: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
