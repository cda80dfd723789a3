use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    /// Lowercase ASCII (punycode) form.
    pub name: String,
    /// `pending`, `verified` or `revoked`.
    pub status: String,
    /// The authorisation code the TXT record must carry.
    pub code: String,
    /// The verified parent domain this one is verified through, if any.
    pub inherited_from: Option<Uuid>,
    /// Consecutive re-verification checks that found the record missing.
    pub failed_checks: i32,
    /// Revoked, and the owners have not been emailed yet (retried until they are).
    pub revocation_notice_due: bool,
    pub created_at: DateTimeUtc,
    pub verified_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_checked_at: Option<DateTimeUtc>,
    /// When the background checker looks at it next; `None` for no automatic check.
    pub next_check_at: Option<DateTimeUtc>,
    /// The team a call to this domain rings when the caller picked no intent; `None` rings
    /// everyone (issue 16 §4).
    pub route_team_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::business::Entity",
        from = "Column::BusinessId",
        to = "super::business::Column::Id"
    )]
    Business,
}

impl Related<super::business::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Business.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
