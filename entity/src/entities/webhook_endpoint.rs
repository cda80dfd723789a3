use sea_orm::entity::prelude::*;

/// A URL a business asked to receive signed events at.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    /// An `http`/`https` URL (see `webhooks::TargetUrl`).
    pub url: String,
    pub description: String,
    /// Subscribed event types, comma-separated (`call.requested,call.ended`).
    pub events: String,
    pub enabled: bool,
    /// The signing secret, `whsec_<base64>` (kept to sign; shown only when made).
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_expires_at`.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    /// Why deliveries stopped by themselves (the endpoint answered 410 Gone).
    pub disabled_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
