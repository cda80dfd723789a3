use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    pub contact_id: Uuid,
    pub product: String,
    /// In the currency's minor unit (cents).
    pub amount_minor: i64,
    /// ISO 4217, three upper-case letters.
    pub currency: String,
    pub purchased_at: DateTimeUtc,
    /// The integration's own reference; unique per business (recording it again is a no-op).
    pub external_ref: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
