//! Units and dispatch: who can be sent, where they are, what state they are in, and which to
//! send first.
//!
//! A unit's status follows a state machine; statuses that tie it to an incident (assigned,
//! en route, at scene) are only entered through dispatch, so a unit is never in two incidents
//! at once. The recommendation ranks units by suitability (the unit type and skills the
//! incident needs) and then by estimated time to attend; the estimator is a trait so road
//! travel times can replace the straight-line first cut.

use crate::aggregate::{Aggregate, FoldError, Folding};
use crate::incident::IncidentId;
use crate::incident::Stamped;
use crate::stream::{StreamId, StreamKind};
use crate::text::{Invalid, required_text};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

id_type!(UnitId(Uuid));

/// A call sign as said on the radio, e.g. `AL11` or `TANGO 2`: letters, digits, spaces and
/// `-`, kept upper-case. Read once, at the edge; a `CallSign` is always a valid one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallSign(String);

impl CallSign {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = required_text("call_sign", raw, crate::limits::CALL_SIGN)?.to_ascii_uppercase();
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(Invalid::new(
                "call_sign",
                "use letters, digits, spaces and '-' only (e.g. AL11)",
            ));
        }
        Ok(Self(text))
    }
}

text_value!(CallSign, CallSign::parse);

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw.trim()).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    Invalid::new($field, format!("'{}' is not one of {}", raw.trim(), names.join(", ")))
                })
            }
        }
    };
}

named_enum!(
    /// What kind of unit it is.
    UnitType, "unit_type" {
        Response => "response",
        Neighbourhood => "neighbourhood",
        RoadsPolicing => "roads_policing",
        ArmedResponse => "armed_response",
        Dog => "dog",
        Csi => "csi",
        PublicOrder => "public_order",
    }
);

named_enum!(
    /// Skills and equipment a crew brings.
    Skill, "skills" {
        Taser => "taser",
        FirstAid => "first_aid",
        Detective => "detective",
        Firearms => "firearms",
        AdvancedDriver => "advanced_driver",
        DogHandler => "dog_handler",
        PublicOrder => "public_order",
        Forensic => "forensic",
    }
);

named_enum!(
    /// Where a unit is in its working cycle.
    UnitStatus, "status" {
        Available => "available",
        Assigned => "assigned",
        EnRoute => "en_route",
        AtScene => "at_scene",
        Refreshment => "refreshment",
        Unavailable => "unavailable",
        OffDuty => "off_duty",
    }
);

impl UnitStatus {
    /// Statuses that tie the unit to an incident.
    pub fn committed(self) -> bool {
        matches!(self, Self::Assigned | Self::EnRoute | Self::AtScene)
    }
}

/// Whether a unit may go from one status to another. Assignment itself is a dispatch
/// decision (`assign`), not a status a unit reports.
pub fn may_move(from: UnitStatus, to: UnitStatus) -> bool {
    use UnitStatus::*;
    match (from, to) {
        (a, b) if a == b => false,
        (Available, Refreshment | Unavailable | OffDuty) => true,
        (Assigned, EnRoute | AtScene | Available) => true,
        (EnRoute, AtScene | Available) => true,
        (AtScene, Available) => true,
        (Refreshment | Unavailable, Available | OffDuty) => true,
        (OffDuty, Available) => true,
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: Timestamp,
    pub by: String,
    pub from: Option<UnitStatus>,
    pub to: UnitStatus,
    pub incident: Option<IncidentId>,
    pub reason: Option<String>,
}

/// What happened to a unit. Stored as JSON in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", prefix = "unit_")]
pub enum UnitEvent {
    Registered {
        call_sign: CallSign,
        unit_type: UnitType,
        skills: Vec<Skill>,
        station: String,
        crew: Vec<String>,
    },
    StatusChanged {
        to: UnitStatus,
        incident: Option<IncidentId>,
        reason: Option<String>,
    },
    PositionReported {
        lat: f64,
        lon: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub call_sign: CallSign,
    pub unit_type: UnitType,
    pub skills: Vec<Skill>,
    pub station: String,
    pub crew: Vec<String>,
    pub status: UnitStatus,
    /// The incident the unit is committed to, while assigned, en route or at scene.
    pub incident: Option<IncidentId>,
    pub position: Option<Position>,
    pub history: Vec<StatusChange>,
}

impl Unit {
    /// Fold one event; `None` before registration.
    pub fn apply(
        state: Option<Unit>,
        id: UnitId,
        event: &UnitEvent,
        at: Timestamp,
        by: &str,
    ) -> Option<Unit> {
        match (state, event) {
            (
                None,
                UnitEvent::Registered {
                    call_sign,
                    unit_type,
                    skills,
                    station,
                    crew,
                },
            ) => Some(Unit {
                id,
                call_sign: call_sign.clone(),
                unit_type: *unit_type,
                skills: skills.clone(),
                station: station.clone(),
                crew: crew.clone(),
                status: UnitStatus::Available,
                incident: None,
                position: None,
                history: vec![StatusChange {
                    at,
                    by: by.to_owned(),
                    from: None,
                    to: UnitStatus::Available,
                    incident: None,
                    reason: None,
                }],
            }),
            (
                Some(mut unit),
                UnitEvent::StatusChanged {
                    to,
                    incident,
                    reason,
                },
            ) => {
                unit.history.push(StatusChange {
                    at,
                    by: by.to_owned(),
                    from: Some(unit.status),
                    to: *to,
                    incident: *incident,
                    reason: reason.clone(),
                });
                unit.status = *to;
                unit.incident = if to.committed() {
                    incident.or(unit.incident)
                } else {
                    None
                };
                Some(unit)
            }
            (Some(mut unit), UnitEvent::PositionReported { lat, lon }) => {
                unit.position = Some(Position {
                    lat: *lat,
                    lon: *lon,
                    at,
                });
                Some(unit)
            }
            (state, _) => state,
        }
    }
}

/// What an incident needs from the unit sent: any of these types (empty: any), and these
/// skills. College of Policing APP (armed policing): firearms incidents need an authorised
/// firearms officer unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    pub unit_types: Vec<UnitType>,
    pub skills: Vec<Skill>,
    pub reasons: Vec<String>,
}

/// The requirement for an incident of `incident_type` with `qualifiers`.
pub fn requirement(incident_type: Option<&str>, qualifiers: &[&str]) -> Requirement {
    let mut r = Requirement::default();
    if incident_type == Some("FIREARMS_INCIDENT") || qualifiers.contains(&"FIREARMS") {
        r.unit_types.push(UnitType::ArmedResponse);
        r.reasons
            .push("a firearm is involved: armed response unit".into());
    }
    if qualifiers.contains(&"KNIFE") || qualifiers.contains(&"WEAPON_OTHER") {
        r.skills.push(Skill::Taser);
        r.reasons
            .push("a weapon is involved: Taser-trained crew".into());
    }
    if qualifiers.contains(&"INJURY") {
        r.skills.push(Skill::FirstAid);
        r.reasons.push("someone is injured: first aid".into());
    }
    r
}

impl Requirement {
    pub fn met_by(&self, unit: &Unit) -> bool {
        (self.unit_types.is_empty() || self.unit_types.contains(&unit.unit_type))
            && self.skills.iter().all(|s| unit.skills.contains(s))
    }
}

/// How long a unit takes to get from one point to another. Straight line first; road travel
/// times can replace it.
pub trait TravelEstimator: Send + Sync {
    fn estimate(&self, from: (f64, f64), to: (f64, f64)) -> SignedDuration;
}

/// Great-circle distance times a detour factor, at an average blue-light speed.
#[derive(Debug, Clone, Copy)]
pub struct StraightLine {
    pub kph: f64,
    /// Roads are longer than the straight line (1.3 is typical of urban grids).
    pub detour: f64,
}

impl Default for StraightLine {
    fn default() -> Self {
        Self {
            kph: 48.0,
            detour: 1.3,
        }
    }
}

/// Great-circle distance in metres (mean Earth radius 6,371,008.8 m, IUGG).
pub fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dp = p2 - p1;
    let dl = (b.1 - a.1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

impl TravelEstimator for StraightLine {
    fn estimate(&self, from: (f64, f64), to: (f64, f64)) -> SignedDuration {
        let metres = metres_between(from, to) * self.detour;
        SignedDuration::from_secs_f64(metres / (self.kph * 1000.0 / 3600.0))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub unit: UnitId,
    pub call_sign: CallSign,
    pub suitable: bool,
    /// None when the incident has no position yet: nothing to measure from.
    pub distance_metres: Option<f64>,
    /// Estimated time to attend; None when the incident has no position yet.
    pub eta: Option<SignedDuration>,
    pub reasons: Vec<String>,
}

/// What a recommendation says when the incident has no position: a dispatch is never held up
/// waiting for one (a caller who cannot say where they are still gets a unit), so the units
/// are offered, but nobody may read the order as "nearest first".
pub const NO_POSITION: &str = "no position for this incident yet: units are listed by call sign, not by distance; send the one you choose";

/// The available units for an incident with no position: suitable units first, then by call
/// sign, each saying why it was not ranked by distance.
pub fn unranked(units: &[&Unit], need: &Requirement) -> Vec<Candidate> {
    let mut listed: Vec<Candidate> = units
        .iter()
        .filter(|u| u.status == UnitStatus::Available)
        .map(|u| {
            let suitable = need.met_by(u);
            let mut reasons = vec![NO_POSITION.to_owned()];
            if suitable {
                reasons.extend(need.reasons.iter().cloned());
            } else {
                reasons.push("does not meet: ".to_owned() + &need.reasons.join("; "));
            }
            Candidate {
                unit: u.id,
                call_sign: u.call_sign.clone(),
                suitable,
                distance_metres: None,
                eta: None,
                reasons,
            }
        })
        .collect();
    listed.sort_by(|a, b| {
        b.suitable
            .cmp(&a.suitable)
            .then_with(|| a.call_sign.cmp(&b.call_sign))
    });
    listed
}

/// Rank `units` (already narrowed to available ones with a position) for an incident at
/// `point`: suitable units first, then by estimated time to attend.
pub fn rank(
    units: &[&Unit],
    point: (f64, f64),
    need: &Requirement,
    estimator: &dyn TravelEstimator,
) -> Vec<Candidate> {
    let mut ranked: Vec<Candidate> = units
        .iter()
        .filter(|u| u.status == UnitStatus::Available)
        .filter_map(|u| {
            let p = u.position?;
            let from = (p.lat, p.lon);
            let suitable = need.met_by(u);
            let eta = estimator.estimate(from, point);
            let mut reasons = vec![format!("{} min away", (eta.as_secs_f64() / 60.0).ceil())];
            if suitable {
                reasons.extend(need.reasons.iter().cloned());
            } else {
                reasons.push("does not meet: ".to_owned() + &need.reasons.join("; "));
            }
            Some(Candidate {
                unit: u.id,
                call_sign: u.call_sign.clone(),
                suitable,
                distance_metres: Some(metres_between(from, point)),
                eta: Some(eta),
                reasons,
            })
        })
        .collect();
    ranked.sort_by(|a, b| b.suitable.cmp(&a.suitable).then(a.eta.cmp(&b.eta)));
    ranked
}

impl Aggregate for Unit {
    type Id = UnitId;
    type Event = UnitEvent;

    fn apply(state: Option<Self>, e: Folding<'_, Self>) -> Result<Self, FoldError> {
        let Stamped { at, by, event } = e.stamped;
        Unit::apply(state, *e.id, event, *at, by.as_str())
            .ok_or_else(|| e.misfit("the unit is not registered"))
    }

    fn stream(id: &UnitId) -> StreamId {
        StreamId::new(StreamKind::Unit, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(n: u128, unit_type: UnitType, skills: &[Skill], at: (f64, f64)) -> Unit {
        let id = UnitId(Uuid::from_u128(n));
        let now = Timestamp::from_second(1_795_400_000).unwrap();
        let u = Unit::apply(
            None,
            id,
            &UnitEvent::Registered {
                call_sign: CallSign::parse(&format!("U{n}")).unwrap(),
                unit_type,
                skills: skills.to_vec(),
                station: "Elland Road".into(),
                crew: vec![],
            },
            now,
            "dispatcher",
        );
        Unit::apply(
            u,
            id,
            &UnitEvent::PositionReported {
                lat: at.0,
                lon: at.1,
            },
            now,
            "avl",
        )
        .unwrap()
    }

    const SCENE: (f64, f64) = (53.7975, -1.5450);

    /// The candidates ranked by straight-line distance from the scene for `need`.
    fn near_scene(units: &[&Unit], need: &Requirement) -> Vec<Candidate> {
        rank(units, SCENE, need, &StraightLine::default())
    }

    /// The call signs of the candidates, in their order.
    fn call_signs(candidates: &[Candidate]) -> Vec<&str> {
        candidates.iter().map(|c| c.call_sign.as_str()).collect()
    }

    #[test]
    fn the_nearest_suitable_unit_comes_first() {
        let near = unit(1, UnitType::Response, &[], (53.7980, -1.5455));
        let far = unit(2, UnitType::Response, &[Skill::Taser], (53.8300, -1.5000));
        let armed_far = unit(
            3,
            UnitType::ArmedResponse,
            &[Skill::Firearms],
            (53.8500, -1.6000),
        );
        let units = [&near, &far, &armed_far];
        let ranked = near_scene(&units, &Requirement::default());
        assert_eq!(call_signs(&ranked), ["U1", "U2", "U3"], "nearest first");

        let knife = requirement(Some("CRIME_VIOLENCE"), &["KNIFE"]);
        let ranked = near_scene(&units, &knife);
        assert_eq!(ranked[0].call_sign, "U2", "the Taser crew, though further");
        assert!(!ranked[2].suitable || ranked[2].call_sign != "U1");

        let firearm = requirement(Some("FIREARMS_INCIDENT"), &[]);
        let ranked = near_scene(&units, &firearm);
        assert_eq!(ranked[0].call_sign, "U3", "armed response for a firearm");
        assert!(
            ranked[0]
                .reasons
                .iter()
                .any(|r| r.contains("armed response"))
        );
    }

    #[test]
    fn only_available_units_with_a_position_are_ranked() {
        let mut busy = unit(1, UnitType::Response, &[], (53.7980, -1.5455));
        busy = Unit::apply(
            Some(busy),
            UnitId(Uuid::from_u128(1)),
            &UnitEvent::StatusChanged {
                to: UnitStatus::Refreshment,
                incident: None,
                reason: None,
            },
            Timestamp::UNIX_EPOCH,
            "u",
        )
        .unwrap();
        let free = unit(2, UnitType::Response, &[], (53.8300, -1.5000));
        let ranked = near_scene(&[&busy, &free], &Requirement::default());
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].call_sign, "U2");
    }

    #[test]
    fn without_a_position_units_are_listed_suitable_first_by_call_sign() {
        let u3 = unit(3, UnitType::Response, &[Skill::Taser], (53.7980, -1.5455));
        let u1 = unit(1, UnitType::Response, &[], (53.7981, -1.5455));
        let u2 = unit(2, UnitType::Response, &[Skill::Taser], (53.9, -1.6));
        let knife = requirement(Some("CRIME_VIOLENCE"), &["KNIFE"]);
        let listed = unranked(&[&u3, &u1, &u2], &knife);
        assert_eq!(
            call_signs(&listed),
            ["U2", "U3", "U1"],
            "suitable first, then by call sign, whatever the distance"
        );
        assert!(listed.iter().all(|c| c.eta.is_none()
            && c.distance_metres.is_none()
            && c.reasons[0] == NO_POSITION));
        assert!(!listed[2].suitable);
    }

    #[test]
    fn eta_is_distance_over_speed_with_detour() {
        let est = StraightLine {
            kph: 36.0,
            detour: 1.0,
        };
        // 36 km/h is 10 m/s: 1,000 m takes 100 s.
        let secs = est
            .estimate((53.0, -1.5), (53.0 + 1000.0 / 111_195.0, -1.5))
            .as_secs_f64();
        assert!((99.0..101.0).contains(&secs), "{secs}");
    }

    #[test]
    fn the_status_machine_allows_only_real_moves() {
        use UnitStatus::*;
        assert!(may_move(Available, Refreshment));
        assert!(may_move(Assigned, EnRoute));
        assert!(may_move(EnRoute, AtScene));
        assert!(may_move(AtScene, Available));
        assert!(
            !may_move(Available, AtScene),
            "at scene needs an assignment"
        );
        assert!(
            !may_move(Available, Assigned),
            "assignment is a dispatch decision"
        );
        assert!(!may_move(OffDuty, AtScene));
        assert!(!may_move(Refreshment, EnRoute));
        assert!(!may_move(Available, Available));
        for s in UnitStatus::ALL {
            assert_eq!(UnitStatus::parse(s.as_str()).unwrap(), *s);
        }
    }

    #[test]
    fn call_signs_are_checked() {
        assert_eq!(CallSign::parse("al11").unwrap().as_str(), "AL11");
        assert!(CallSign::parse("").is_err());
        assert!(CallSign::parse("A/B").is_err());
        assert!(
            serde_json::from_str::<CallSign>("\"A/B\"").is_err(),
            "a stored call sign is read through the same check"
        );
    }
}
