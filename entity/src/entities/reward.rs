use sea_orm::entity::prelude::*;

/// One reward issued to a caller for waiting: a line of the contact's ledger.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rewards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    /// The call it rewards (one reward per call at most).
    pub call_id: Uuid,
    pub contact_id: Option<Uuid>,
    /// The caller identity that waited.
    pub caller_name: String,
    pub wait_ms: i64,
    pub points: i32,
    pub coupon_code: Option<String>,
    /// Where the caller was told, if they had left an email.
    pub email: Option<String>,
    pub issued_at: DateTimeUtc,
    pub redeemed_at: Option<DateTimeUtc>,
    /// The idempotency key the redemption came with.
    pub redeem_key: Option<String>,
    /// The member (or API key's member) who redeemed it.
    pub redeemed_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
