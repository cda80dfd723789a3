use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_id: Uuid,
    /// As the business wrote it (trimmed).
    pub label: String,
    /// The label lowercased: unique per business.
    pub label_key: String,
    /// The intent's place in the business's order (ascending).
    pub position: i32,
    /// `everyone`, `team` or `member`.
    pub target_kind: String,
    /// The team rung, when `target_kind` is `team`.
    pub target_team_id: Option<Uuid>,
    /// The member rung, when `target_kind` is `member`.
    pub target_user_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
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
