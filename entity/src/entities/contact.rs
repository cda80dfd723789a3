use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    /// What the business calls them (their domain or email until someone edits it).
    pub name: String,
    /// Lower-cased; unique per business.
    pub email: Option<String>,
    /// Free text.
    pub phone: Option<String>,
    pub address: Option<String>,
    /// The verified domain they call as (lower-case ASCII); unique per business.
    pub caller_domain: Option<String>,
    /// A JSON list of lower-case tags.
    pub tags: String,
    /// `crate::contacts::ClientType` in its stored form, when set by hand.
    pub client_type: Option<String>,
    pub first_seen_at: DateTimeUtc,
    pub last_contact_at: Option<DateTimeUtc>,
    pub call_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
