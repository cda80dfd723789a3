use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "caller_identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `guest-<random>.<zone>` or, for a verified caller, the domain itself.
    pub name: String,
    /// `guest` or `domain`.
    pub kind: String,
    /// Left by the caller, optionally.
    pub email: Option<String>,
    /// For `domain` identities: the verified domain called as.
    pub domain_id: Option<Uuid>,
    /// For `domain` identities: the signed-in user calling.
    pub user_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
