//! The pure half of routing setup: the wire views and the input rules (labels, ring
//! timeouts, strategies, targets, fallback chains). No IO, compiles to wasm, so the
//! dashboard can give the server's answer before a form is sent.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calls::{RingStrategy, RingTarget};
use crate::types::FieldError;
use crate::validate::Label;

/// The longest intent label we accept (it is a button on the call page).
pub const MAX_INTENT_LABEL: usize = 60;
/// The longest team name we accept.
pub const MAX_TEAM_NAME: usize = 60;
/// The shortest ring timeout of a team, in seconds.
pub const MIN_RING_TIMEOUT_SECS: i64 = 5;
/// The longest ring timeout of a team, in seconds.
pub const MAX_RING_TIMEOUT_SECS: i64 = 300;
/// A new team's ring timeout, in seconds (the routing default).
pub const DEFAULT_RING_TIMEOUT_SECS: i64 = 30;

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Where an intent's calls ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum IntentTarget {
    /// Every member of the business at once.
    Everyone,
    /// A team of the business (its strategy, timeout and fallback apply).
    Team(Uuid),
    /// One member of the business.
    Member(Uuid),
}

impl IntentTarget {
    /// The stored `target_kind`: `everyone`, `team` or `member`.
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Team(_) => "team",
            Self::Member(_) => "member",
        }
    }

    /// Rebuilds a target from its stored columns; `None` when they do not fit together.
    #[must_use]
    pub fn from_parts(kind: &str, team: Option<Uuid>, user: Option<Uuid>) -> Option<Self> {
        match (kind, team, user) {
            ("everyone", _, _) => Some(Self::Everyone),
            ("team", Some(t), _) => Some(Self::Team(t)),
            ("member", _, Some(u)) => Some(Self::Member(u)),
            _ => None,
        }
    }

    /// The value of a `<select>` option: `everyone`, `team:<id>` or `member:<id>`.
    #[must_use]
    pub fn choice(self) -> String {
        match self {
            Self::Everyone => "everyone".to_owned(),
            Self::Team(id) => RingTarget::Team(id).choice(),
            Self::Member(id) => RingTarget::Member(id).choice(),
        }
    }

    /// Parses a [`choice`](Self::choice) value sent by a form.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when it is none of the three forms.
    pub fn parse_choice(field: &str, input: &str) -> Result<Self, FieldError> {
        let parsed = if input.trim() == "everyone" {
            Some(Self::Everyone)
        } else {
            RingTarget::parse_choice(input).map(|target| match target {
                RingTarget::Team(id) => Self::Team(id),
                RingTarget::Member(id) => Self::Member(id),
            })
        };
        parsed
            .ok_or_else(|| field_error(field, "Choose who answers: everyone, a team or a member."))
    }
}

/// An intent label: trimmed, 1 to [`MAX_INTENT_LABEL`] characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntentLabel(Label);

impl IntentLabel {
    /// Parses a label typed by a manager.
    ///
    /// # Errors
    /// A [`FieldError`] on `label` saying what is wrong.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        Label::parse("label", input, MAX_INTENT_LABEL).map(Self)
    }

    /// The form two labels are compared in (unique per business regardless of case).
    #[must_use]
    pub fn key(&self) -> String {
        self.0.as_ref().to_lowercase()
    }
}

impl AsRef<str> for IntentLabel {
    fn as_ref(&self) -> &str {
        self.0.as_ref()
    }
}

/// Parses a ring strategy's stored / submitted form.
///
/// # Errors
/// A [`FieldError`] on `strategy` for anything else.
pub fn parse_strategy(input: &str) -> Result<RingStrategy, FieldError> {
    RingStrategy::parse(input.trim()).ok_or_else(|| {
        field_error(
            "strategy",
            "Choose how members are rung: all at once, round-robin or longest idle first.",
        )
    })
}

/// Checks a team's ring timeout.
///
/// # Errors
/// A [`FieldError`] on `ring_timeout_secs` outside 5–300 seconds.
pub fn check_ring_timeout(secs: i64) -> Result<i32, FieldError> {
    if (MIN_RING_TIMEOUT_SECS..=MAX_RING_TIMEOUT_SECS).contains(&secs) {
        i32::try_from(secs).map_err(|_| field_error("ring_timeout_secs", "Out of range."))
    } else {
        Err(field_error(
            "ring_timeout_secs",
            format!(
                "Ring for {MIN_RING_TIMEOUT_SECS} to {MAX_RING_TIMEOUT_SECS} seconds \
                 ({MAX_RING_TIMEOUT_SECS} seconds is five minutes)."
            ),
        ))
    }
}

/// The loop `team` would close by falling back to `fallback`, given every team's current
/// fallback: the chain from `team` back to itself (`[team, fallback, …, team]`), or `None`
/// when the chain ends.
#[must_use]
pub fn fallback_cycle(
    team: Uuid,
    fallback: Uuid,
    fallbacks: &HashMap<Uuid, Option<Uuid>>,
) -> Option<Vec<Uuid>> {
    let mut chain = vec![team];
    let mut next = Some(fallback);
    while let Some(current) = next {
        chain.push(current);
        if current == team {
            return Some(chain);
        }
        // A chain that loops without `team` was refused when it was made; stop anyway.
        if chain[1..chain.len() - 1].contains(&current) {
            return None;
        }
        next = fallbacks.get(&current).copied().flatten();
    }
    None
}

/// What a team form sends (create, or replace the settings of an existing team).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamInput {
    pub name: String,
    /// `simultaneous`, `round_robin` or `longest_idle`.
    pub strategy: String,
    pub ring_timeout_secs: i64,
    /// Another team of the business that rings when nobody in this one answers.
    pub fallback_team_id: Option<Uuid>,
}

/// A [`TeamInput`] whose fields passed their own checks (the fallback still has to be
/// checked against the business's teams).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidTeam {
    pub name: String,
    pub strategy: RingStrategy,
    pub ring_timeout_secs: i32,
    pub fallback_team_id: Option<Uuid>,
}

impl TeamInput {
    /// Checks every field, reporting all refusals at once.
    ///
    /// # Errors
    /// One [`FieldError`] per refused field (`name`, `strategy`, `ring_timeout_secs`).
    pub fn validate(&self) -> Result<ValidTeam, Vec<FieldError>> {
        let name = Label::parse("name", &self.name, MAX_TEAM_NAME);
        let strategy = parse_strategy(&self.strategy);
        let timeout = check_ring_timeout(self.ring_timeout_secs);
        match (name, strategy, timeout) {
            (Ok(name), Ok(strategy), Ok(ring_timeout_secs)) => Ok(ValidTeam {
                name: name.as_ref().to_owned(),
                strategy,
                ring_timeout_secs,
                fallback_team_id: self.fallback_team_id,
            }),
            (name, strategy, timeout) => Err([name.err(), strategy.err(), timeout.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// An intent as the dashboard lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentView {
    pub id: Uuid,
    pub label: String,
    /// Its place in the business's order (ascending; gaps allowed).
    pub position: i32,
    pub target: IntentTarget,
    /// The target team's name or the target member's display name, else email (`None` for
    /// everyone).
    pub target_name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A member of a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMemberView {
    pub user_id: Uuid,
    pub email: String,
    /// The name they chose; `None` shows the email.
    #[serde(default)]
    pub display_name: Option<String>,
}

impl TeamMemberView {
    /// How the member is named: their display name, else their email.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.email)
    }
}

/// A team as the dashboard lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: Uuid,
    pub name: String,
    #[serde(with = "strategy_form")]
    pub strategy: RingStrategy,
    pub ring_timeout_secs: i32,
    pub fallback_team_id: Option<Uuid>,
    /// The fallback team's name.
    pub fallback_team_name: Option<String>,
    /// In the team's order.
    pub members: Vec<TeamMemberView>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A [`RingStrategy`] travels as its stored form (`round_robin`).
mod strategy_form {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    use crate::calls::RingStrategy;

    pub fn serialize<S: Serializer>(s: &RingStrategy, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<RingStrategy, D::Error> {
        let s = String::deserialize(de)?;
        RingStrategy::parse(&s).ok_or_else(|| D::Error::custom("unknown ring strategy"))
    }
}

/// A strategy for people.
#[must_use]
pub fn strategy_label(s: RingStrategy) -> &'static str {
    match s {
        RingStrategy::Simultaneous => "Everyone at once",
        RingStrategy::RoundRobin => "Round-robin",
        RingStrategy::LongestIdle => "Longest idle first",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn team(name: &str, strategy: &str, secs: i64) -> TeamInput {
        TeamInput {
            name: name.to_owned(),
            strategy: strategy.to_owned(),
            ring_timeout_secs: secs,
            fallback_team_id: None,
        }
    }

    #[test]
    fn labels_are_trimmed_bounded_and_compared_without_case() {
        let l = IntentLabel::parse("  New Order ").map(|l| (l.as_ref().to_owned(), l.key()));
        assert_eq!(l, Ok(("New Order".to_owned(), "new order".to_owned())));
        assert!(IntentLabel::parse("   ").is_err());
        assert!(IntentLabel::parse(&"x".repeat(MAX_INTENT_LABEL + 1)).is_err());
        assert!(IntentLabel::parse(&"é".repeat(MAX_INTENT_LABEL)).is_ok());
        assert!(IntentLabel::parse("a\u{7}b").is_err());
        assert_eq!(
            IntentLabel::parse("").map_err(|e| e.field),
            Err("label".to_owned())
        );
    }

    #[test]
    fn ring_timeouts_are_five_seconds_to_five_minutes() {
        assert_eq!(check_ring_timeout(5), Ok(5));
        assert_eq!(check_ring_timeout(300), Ok(300));
        for bad in [-1, 0, 4, 301, i64::MAX] {
            let e = check_ring_timeout(bad).map_err(|e| e.field);
            assert_eq!(e, Err("ring_timeout_secs".to_owned()), "{bad}");
        }
    }

    #[test]
    fn strategies_parse_their_stored_form() {
        assert_eq!(parse_strategy("round_robin"), Ok(RingStrategy::RoundRobin));
        assert_eq!(
            parse_strategy(" simultaneous "),
            Ok(RingStrategy::Simultaneous)
        );
        assert_eq!(
            parse_strategy("longest_idle"),
            Ok(RingStrategy::LongestIdle)
        );
        assert!(parse_strategy("random").is_err());
    }

    #[test]
    fn a_team_form_reports_every_bad_field() {
        let fields: Vec<String> = team("", "loud", 1)
            .validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "strategy", "ring_timeout_secs"]);
        let ok = team(" Sales ", "round_robin", 20).validate();
        assert_eq!(ok.as_ref().map(|t| t.name.as_str()), Ok("Sales"));
        assert_eq!(ok.map(|t| t.strategy), Ok(RingStrategy::RoundRobin));
    }

    #[test]
    fn targets_round_trip_through_form_choices() {
        let id = Uuid::new_v4();
        for t in [
            IntentTarget::Everyone,
            IntentTarget::Team(id),
            IntentTarget::Member(id),
        ] {
            assert_eq!(IntentTarget::parse_choice("target", &t.choice()), Ok(t));
            let stored = match t {
                IntentTarget::Team(x) => IntentTarget::from_parts(t.kind(), Some(x), None),
                IntentTarget::Member(x) => IntentTarget::from_parts(t.kind(), None, Some(x)),
                IntentTarget::Everyone => IntentTarget::from_parts(t.kind(), None, None),
            };
            assert_eq!(stored, Some(t));
        }
        for bad in ["", "team", "team:nope", "member:", "someone"] {
            assert!(IntentTarget::parse_choice("target", bad).is_err(), "{bad}");
        }
        assert_eq!(IntentTarget::from_parts("team", None, None), None);
    }

    #[test]
    fn fallback_cycles_are_found_with_their_path() {
        let (a, b, c, d) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let fallbacks = HashMap::from([(a, None), (b, Some(c)), (c, Some(a)), (d, None)]);
        // a → b → c → a
        assert_eq!(fallback_cycle(a, b, &fallbacks), Some(vec![a, b, c, a]));
        assert_eq!(fallback_cycle(a, a, &fallbacks), Some(vec![a, a]));
        assert_eq!(fallback_cycle(a, d, &fallbacks), None);
        assert_eq!(fallback_cycle(d, b, &fallbacks), None);
        // A loop not through the team (refused earlier, but never hangs).
        let looped = HashMap::from([(b, Some(c)), (c, Some(b))]);
        assert_eq!(fallback_cycle(a, b, &looped), None);
    }

    #[test]
    fn views_travel_as_json() {
        let v = TeamView {
            id: Uuid::nil(),
            name: "Sales".into(),
            strategy: RingStrategy::LongestIdle,
            ring_timeout_secs: 30,
            fallback_team_id: None,
            fallback_team_name: None,
            members: vec![],
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let json = serde_json::to_value(&v).ok();
        assert_eq!(
            json.as_ref().and_then(|j| j["strategy"].as_str()),
            Some("longest_idle")
        );
        let back: Option<TeamView> = json.and_then(|j| serde_json::from_value(j).ok());
        assert_eq!(back, Some(v));
        let t = serde_json::to_value(IntentTarget::Team(Uuid::nil())).ok();
        assert_eq!(
            t,
            Some(serde_json::json!({"kind": "team", "id": Uuid::nil().to_string()}))
        );
    }

    proptest! {
        #[test]
        fn chains_without_the_team_never_report_a_cycle(n in 1usize..12) {
            let ids: Vec<Uuid> = (0..=n).map(|_| Uuid::new_v4()).collect();
            let fallbacks: HashMap<Uuid, Option<Uuid>> = ids
                .windows(2)
                .map(|w| (w[0], Some(w[1])))
                .collect();
            let outsider = Uuid::new_v4();
            prop_assert_eq!(fallback_cycle(outsider, ids[0], &fallbacks), None);
            // Closing the chain onto its head is a cycle of every team in it.
            let cycle = fallback_cycle(ids[n], ids[0], &fallbacks);
            prop_assert_eq!(cycle.map(|c| c.len()), Some(n + 2));
        }
    }
}
