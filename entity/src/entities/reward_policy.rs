use sea_orm::entity::prelude::*;

/// What a business's callers earn for waiting (absent: no rewards).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reward_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_id: Uuid,
    pub enabled: bool,
    pub threshold_secs: i32,
    pub points_per_minute: i32,
    pub cap_points: Option<i32>,
    pub coupon_template: Option<String>,
    /// When it was last switched on: calls requested before earn nothing.
    pub enabled_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
