//! POLE: the people, objects (vehicles), locations and events a force already knows, the
//! links between them, and the warning markers officers need before they attend.
//!
//! Records are event-sourced like incidents: each person, vehicle and location is a stream,
//! so every change and every merge is in the audit trail and nothing is overwritten. A merge
//! never moves links: it records that one person is the same as another, and queries follow
//! it; an unmerge removes that, and every link is where it always was.

use crate::aggregate::{Aggregate, FoldError, Folding};
use crate::limits;
use crate::stream::{StreamId, StreamKind};
use crate::text::{Invalid, PersonName, optional_text, required_text};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A telephone number in E.164 form (`+447700900123`), however it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct E164(String);

impl E164 {
    /// Normalise a number as callers and officers write it. UK national numbers (leading 0)
    /// become +44; `00` is the international prefix. (ITU-T E.164: at most 15 digits.)
    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        limits::check_length(field, raw, limits::PHONE)?;
        let trimmed = raw.trim();
        let bad = || Invalid::new(field, format!("'{trimmed}' is not a telephone number"));
        if trimmed.is_empty()
            || !trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || " -().+".contains(c))
        {
            return Err(bad());
        }
        let plus = trimmed.starts_with('+');
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let international = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else if let Some(rest) = digits.strip_prefix('0') {
            // (0) after +44 is a common way of writing UK numbers too: handled by `plus`.
            format!("44{rest}")
        } else if digits.starts_with("44") && digits.len() >= 12 {
            digits
        } else {
            return Err(bad());
        };
        // "+44 (0)7700 900123": drop the trunk 0 written after the UK country code.
        let international = match international.strip_prefix("440") {
            Some(rest) if rest.len() >= 9 => format!("44{rest}"),
            _ => international,
        };
        if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(bad());
        }
        Ok(Self(format!("+{international}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A vehicle registration mark, kept without spaces or case (`AB12 CDE` = `ab12cde` =
/// `AB12CDE`), so two ways of writing one plate are one value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Vrm(String);

impl Vrm {
    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        let vrm: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        if vrm.is_empty() || vrm.len() > 10 || !vrm.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new(
                field,
                format!("'{}' is not a registration mark", raw.trim()),
            ));
        }
        Ok(Self(vrm))
    }
}

text_value!(Vrm, |raw| Vrm::parse("vrm", raw));

/// A UK postcode in its standard written form (`LS1 5AA`): outward code, space, inward code.
/// Typed any way (`ls15aa`, ` LS1  5AA`) it parses to the one form, so equal postcodes are
/// equal values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

impl Postcode {
    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let bad = || {
            Invalid::new(
                field,
                format!("'{}' is not a UK postcode (e.g. LS1 5AA)", raw.trim()),
            )
        };
        if !(5..=7).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(bad());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let inward_ok = inward.chars().next().is_some_and(|c| c.is_ascii_digit())
            && inward.chars().skip(1).all(|c| c.is_ascii_alphabetic());
        let outward_ok = outward
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && outward.chars().any(|c| c.is_ascii_digit());
        if !inward_ok || !outward_ok {
            return Err(bad());
        }
        Ok(Self(format!("{outward} {inward}")))
    }

    /// The outward code, the postcode district (`LS1 5AA` → `LS1`).
    pub fn district(&self) -> &str {
        self.0.split(' ').next().unwrap_or_default()
    }
}

text_value!(Postcode, |raw| Postcode::parse("postcode", raw));

/// The outward part of a postcode or partial postcode (`LS1 5AA` → `LS1`, `ls1` → `LS1`).
pub fn postcode_district(raw: &str) -> String {
    let upper = raw.trim().to_ascii_uppercase();
    match Postcode::parse("postcode", &upper) {
        Ok(full) => full.district().to_owned(),
        Err(_) => upper
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    Person,
    Vehicle,
    Location,
    Incident,
    Property,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        crate::text::parse_word(
            "kind",
            raw,
            "a record kind; use person, vehicle, location, property or incident",
        )
    }
}

/// A reference to any POLE record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordRef {
    pub kind: Kind,
    pub id: Uuid,
}

impl RecordRef {
    pub fn stream(&self) -> String {
        self.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum LinkRole {
    Caller,
    Victim,
    Suspect,
    Witness,
    Subject,
    Resident,
    Owner,
    Keeper,
}

impl LinkRole {
    pub const ALL: [LinkRole; 8] = [
        Self::Caller,
        Self::Victim,
        Self::Suspect,
        Self::Witness,
        Self::Subject,
        Self::Resident,
        Self::Owner,
        Self::Keeper,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new("role", format!("'{raw}' is not a link role; use caller, victim, suspect, witness, subject, resident, owner or keeper"))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum MarkerKind {
    Weapons,
    Violence,
    FirearmsAccess,
    MentalHealth,
    Drugs,
    InfectiousDisease,
    VulnerableResident,
    OfficerSafety,
}

impl MarkerKind {
    pub const ALL: [MarkerKind; 8] = [
        Self::Weapons,
        Self::Violence,
        Self::FirearmsAccess,
        Self::MentalHealth,
        Self::Drugs,
        Self::InfectiousDisease,
        Self::VulnerableResident,
        Self::OfficerSafety,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// As a handler reads it in a sentence: `firearms_access` is "firearms access".
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new(
                "kind",
                format!("'{raw}' is not a marker; use weapons, violence, firearms_access, mental_health, drugs, infectious_disease, vulnerable_resident or officer_safety"),
            )
        })
    }
}

/// A warning marker. Kept after it expires, shown as expired, and after it is withdrawn,
/// shown as withdrawn: history matters to officers, and a marker is never deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub kind: MarkerKind,
    pub reason: String,
    /// Where the information came from (e.g. an intelligence report or incident reference).
    pub source: String,
    pub added_by: String,
    /// Review or expiry date: after it, the marker is shown as expired.
    pub review_by: Date,
    /// Set by a later `MarkerWithdrawn` event, never by `MarkerAdded` (whose stored payload
    /// therefore never carries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
}

/// Why, by whom and when a warning marker was withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub reason: String,
    pub by: String,
    pub at: jiff::Timestamp,
}

/// Why a change to a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The input is wrong (names the field).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Well formed, but the record's state does not allow it.
    #[error(transparent)]
    Rejected(#[from] crate::incident::Rejected),
}

impl Marker {
    pub fn parse(
        kind: &str,
        reason: &str,
        source: &str,
        review_by: &str,
        added_by: &str,
        today: Date,
    ) -> Result<Self, Invalid> {
        let review_by: Date = review_by.trim().parse().map_err(|_| {
            Invalid::new(
                "review_by",
                format!("'{review_by}' is not a date; use YYYY-MM-DD"),
            )
        })?;
        if review_by < today {
            return Err(Invalid::new("review_by", "the review date is already past"));
        }
        Ok(Self {
            kind: MarkerKind::parse(kind)?,
            reason: required_text("reason", reason, limits::REASON)?,
            source: required_text("source", source, limits::SOURCE)?,
            added_by: added_by.to_owned(),
            review_by,
            withdrawn: None,
        })
    }

    pub fn expired(&self, today: Date) -> bool {
        today > self.review_by
    }

    /// A warning officers must be told about: neither past its review date nor withdrawn.
    pub fn current(&self, today: Date) -> bool {
        !self.expired(today) && self.withdrawn.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetails {
    /// Names as given; the first is the main name, the rest aliases.
    pub names: Vec<PersonName>,
    pub date_of_birth: Option<Date>,
    /// When only an age range is known (e.g. "30 to 40").
    pub age_range: Option<(u8, u8)>,
    pub gender: Option<String>,
    pub phones: Vec<E164>,
    pub addresses: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleDetails {
    pub vrm: Vrm,
    pub make: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
}

/// Property: a phone handset, a bicycle, jewellery… searchable by serial number or IMEI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyDetails {
    pub description: String,
    /// Serial number, IMEI or frame number, upper-case without spaces.
    pub serial: Option<String>,
}

/// A serial number as written on a receipt or an etching: compared without spaces, dashes or
/// case.
pub fn normalise_serial(field: &str, raw: &str) -> Result<String, Invalid> {
    let serial: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    if serial.len() < 4 || serial.len() > 40 {
        return Err(Invalid::new(
            field,
            format!(
                "'{}' is not a serial number (4 to 40 letters and digits)",
                raw.trim()
            ),
        ));
    }
    Ok(serial)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationDetails {
    pub address: String,
    pub postcode: Option<Postcode>,
    pub uprn: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub beat: Option<String>,
}

/// What a person record is made from, before checking.
#[derive(Debug, Clone, Default)]
pub struct PersonDraft {
    pub names: Vec<String>,
    pub date_of_birth: Option<String>,
    pub age_from: Option<u8>,
    pub age_to: Option<u8>,
    pub gender: Option<String>,
    pub phones: Vec<String>,
    pub addresses: Vec<String>,
    pub description: Option<String>,
}

impl PersonDraft {
    pub fn parse(self, today: Date) -> Result<PersonDetails, Invalid> {
        limits::check_items("names", self.names.len(), limits::PER_PERSON)?;
        limits::check_items("phones", self.phones.len(), limits::PER_PERSON)?;
        limits::check_items("addresses", self.addresses.len(), limits::PER_PERSON)?;
        let names: Vec<PersonName> = self
            .names
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.trim().is_empty())
            .map(|(i, n)| PersonName::parse(&format!("names[{i}]"), n))
            .collect::<Result<_, _>>()?;
        if names.is_empty() {
            return Err(Invalid::new("names", "give at least one name"));
        }
        let date_of_birth =
            optional_text("date_of_birth", self.date_of_birth.as_deref(), limits::DATE)?
                .map(|d| {
                    d.parse::<Date>().map_err(|_| {
                        Invalid::new(
                            "date_of_birth",
                            format!("'{d}' is not a date; use YYYY-MM-DD"),
                        )
                    })
                })
                .transpose()?;
        if date_of_birth.is_some_and(|d| d > today) {
            return Err(Invalid::new("date_of_birth", "is in the future"));
        }
        let age_range = match (self.age_from, self.age_to) {
            (None, None) => None,
            (Some(a), Some(b)) if a <= b && b <= 120 => Some((a, b)),
            _ => {
                return Err(Invalid::new(
                    "age_from",
                    "give an age range from and to, youngest first, up to 120",
                ));
            }
        };
        let phones = self
            .phones
            .iter()
            .enumerate()
            .map(|(i, p)| E164::parse(&format!("phones[{i}]"), p))
            .collect::<Result<_, _>>()?;
        let addresses = self
            .addresses
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.trim().is_empty())
            .map(|(i, a)| required_text(&format!("addresses[{i}]"), a, limits::ADDRESS))
            .collect::<Result<_, _>>()?;
        Ok(PersonDetails {
            names,
            date_of_birth,
            age_range,
            gender: optional_text("gender", self.gender.as_deref(), limits::SHORT_DETAIL)?,
            phones,
            addresses,
            description: optional_text(
                "description",
                self.description.as_deref(),
                limits::RATIONALE,
            )?,
        })
    }
}

/// What happened to a POLE record. Stored as JSON in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PoleEvent {
    PersonRecorded {
        details: PersonDetails,
    },
    PersonUpdated {
        details: PersonDetails,
    },
    VehicleRecorded {
        details: VehicleDetails,
    },
    LocationRecorded {
        details: LocationDetails,
    },
    PropertyRecorded {
        details: PropertyDetails,
    },
    MarkerAdded {
        marker: Marker,
    },
    /// The marker `number` (1-based, in the order they were added) no longer applies. It stays
    /// on the record, shown as withdrawn with this reason; `kind` is what it warned of, so
    /// the audit trail reads on its own.
    MarkerWithdrawn {
        number: u32,
        kind: MarkerKind,
        reason: String,
    },
    /// This person is the same as `into`; their links are read as `into`'s.
    #[strum(serialize = "person_merged")]
    MergedInto {
        into: Uuid,
        reason: String,
    },
    #[strum(serialize = "person_unmerged")]
    Unmerged {
        reason: String,
    },
    /// A link from this record to another (recorded on the `from` record's stream).
    #[strum(serialize = "record_linked")]
    Linked {
        to: RecordRef,
        role: LinkRole,
        note: Option<String>,
    },
}

/// A link as held on a record: where it points, in what role, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub to: RecordRef,
    pub role: LinkRole,
    pub note: Option<String>,
    pub at: jiff::Timestamp,
    pub by: String,
}

/// The current state of one POLE record, folded from its events.
#[derive(Debug, Clone, PartialEq)]
pub struct PoleRecord {
    pub reference: RecordRef,
    pub person: Option<PersonDetails>,
    pub vehicle: Option<VehicleDetails>,
    pub location: Option<LocationDetails>,
    pub property: Option<PropertyDetails>,
    pub markers: Vec<Marker>,
    pub links: Vec<Link>,
    pub merged_into: Option<Uuid>,
    pub version: u64,
}

impl PoleRecord {
    pub fn new(reference: RecordRef) -> Self {
        Self {
            reference,
            person: None,
            vehicle: None,
            location: None,
            property: None,
            markers: Vec::new(),
            links: Vec::new(),
            merged_into: None,
            version: 0,
        }
    }

    pub fn apply(&mut self, event: &PoleEvent, at: jiff::Timestamp, by: &str) {
        match event {
            PoleEvent::PersonRecorded { details } | PoleEvent::PersonUpdated { details } => {
                self.person = Some(details.clone())
            }
            PoleEvent::VehicleRecorded { details } => self.vehicle = Some(details.clone()),
            PoleEvent::LocationRecorded { details } => self.location = Some(details.clone()),
            PoleEvent::PropertyRecorded { details } => self.property = Some(details.clone()),
            PoleEvent::MarkerAdded { marker } => self.markers.push(marker.clone()),
            PoleEvent::MarkerWithdrawn { number, reason, .. } => {
                let index = usize::try_from(*number)
                    .unwrap_or(usize::MAX)
                    .wrapping_sub(1);
                if let Some(marker) = self.markers.get_mut(index) {
                    marker.withdrawn = Some(Withdrawal {
                        reason: reason.clone(),
                        by: by.to_owned(),
                        at,
                    });
                }
            }
            PoleEvent::MergedInto { into, .. } => self.merged_into = Some(*into),
            PoleEvent::Unmerged { .. } => self.merged_into = None,
            PoleEvent::Linked { to, role, note } => {
                self.links.push(Link {
                    to: *to,
                    role: *role,
                    note: note.clone(),
                    at,
                    by: by.to_owned(),
                });
            }
        }
        self.version += 1;
    }

    /// Decide the withdrawal of marker `number` (1-based, as listed on the record): it must
    /// exist and still stand, and the reason is required.
    pub fn withdraw_marker(&self, number: u32, reason: &str) -> Result<PoleEvent, Refused> {
        let reason = required_text("reason", reason, limits::REASON)?;
        let index = usize::try_from(number)
            .unwrap_or(usize::MAX)
            .wrapping_sub(1);
        let Some(marker) = self.markers.get(index) else {
            return Err(Invalid::new(
                "number",
                format!(
                    "{} has no warning marker number {number} (it has {})",
                    self.label(),
                    self.markers.len()
                ),
            )
            .into());
        };
        if let Some(w) = &marker.withdrawn {
            return Err(crate::incident::Rejected {
                code: "marker_withdrawn",
                reason: format!(
                    "the {} marker on {} was already withdrawn by {}: {}",
                    marker.kind.as_str().replace('_', " "),
                    self.label(),
                    w.by,
                    w.reason
                ),
            }
            .into());
        }
        Ok(PoleEvent::MarkerWithdrawn {
            number,
            kind: marker.kind,
            reason,
        })
    }

    /// One line a handler reads: the main name, the registration, or the address.
    pub fn label(&self) -> String {
        if let Some(p) = &self.person {
            return p.names.first().map(ToString::to_string).unwrap_or_default();
        }
        if let Some(v) = &self.vehicle {
            return v.vrm.to_string();
        }
        if let Some(l) = &self.location {
            return l.address.clone();
        }
        if let Some(p) = &self.property {
            return p.description.clone();
        }
        self.reference.stream()
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.id)
    }
}

impl Aggregate for PoleRecord {
    type Id = RecordRef;
    type Event = PoleEvent;

    /// Every event of a POLE record's stream fits: the first creates it.
    fn apply(state: Option<Self>, e: Folding<'_, Self>) -> Result<Self, FoldError> {
        let mut record = state.unwrap_or_else(|| PoleRecord::new(*e.id));
        record.apply(e.event(), e.stamped.at, e.stamped.by.as_str());
        Ok(record)
    }

    fn stream(id: &RecordRef) -> StreamId {
        let kind = match id.kind {
            Kind::Person => StreamKind::Person,
            Kind::Vehicle => StreamKind::Vehicle,
            Kind::Location => StreamKind::Location,
            Kind::Property => StreamKind::Property,
            Kind::Incident => StreamKind::Incident,
        };
        StreamId::new(kind, id.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_any_written_form_become_e164() {
        for written in [
            "07700 900123",
            "07700900123",
            "+44 7700 900123",
            "+44 (0)7700 900123",
            "0044 7700 900123",
            "(07700) 900-123",
            "447700900123",
        ] {
            assert_eq!(
                E164::parse("phone", written).unwrap().as_str(),
                "+447700900123",
                "{written}"
            );
        }
        assert_eq!(
            E164::parse("phone", "0113 496 0000").unwrap().as_str(),
            "+441134960000"
        );
        assert_eq!(
            E164::parse("phone", "+33 1 23 45 67 89").unwrap().as_str(),
            "+33123456789"
        );
        for bad in ["", "call me", "12345", "+0123456789", "999"] {
            assert!(E164::parse("phone", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registrations_ignore_spaces_and_case() {
        assert_eq!(Vrm::parse("vrm", "ab12 cde").unwrap(), "AB12CDE");
        assert_eq!(Vrm::parse("vrm", " AB12CDE ").unwrap(), "AB12CDE");
        assert!(Vrm::parse("vrm", "AB12 CDÉ").is_err());
        assert!(
            serde_json::from_str::<Vrm>("\"AB/12\"").is_err(),
            "a stored registration is read through the same check"
        );
    }

    #[test]
    fn postcodes_take_their_standard_form() {
        assert_eq!(Postcode::parse("postcode", "ls15aa").unwrap(), "LS1 5AA");
        assert_eq!(Postcode::parse("postcode", "SW1A 1AA").unwrap(), "SW1A 1AA");
        assert!(Postcode::parse("postcode", "12345").is_err());
        assert_eq!(postcode_district("ls1 5aa"), "LS1");
        assert_eq!(postcode_district("ls6"), "LS6");
    }

    #[test]
    fn markers_need_a_reason_and_a_future_review_date_and_then_expire() {
        let today: Date = "2026-11-23".parse().unwrap();
        let m = Marker::parse(
            "weapons",
            "carried a knife at last arrest",
            "INT-2026-0042",
            "2027-05-23",
            "handler",
            today,
        )
        .unwrap();
        assert!(!m.expired(today));
        assert!(m.expired("2027-05-24".parse().unwrap()));
        assert_eq!(
            Marker::parse("weapons", "", "x", "2027-01-01", "h", today)
                .unwrap_err()
                .field,
            "reason"
        );
        assert_eq!(
            Marker::parse("weapons", "r", "x", "2026-01-01", "h", today)
                .unwrap_err()
                .field,
            "review_by"
        );
        assert_eq!(
            Marker::parse("bad_vibes", "r", "x", "2027-01-01", "h", today)
                .unwrap_err()
                .field,
            "kind"
        );
    }

    #[test]
    fn a_withdrawn_marker_stays_on_the_record_but_is_no_longer_a_warning() {
        let today: Date = "2026-11-23".parse().unwrap();
        let at: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let mut record = PoleRecord::new(RecordRef {
            kind: Kind::Person,
            id: Uuid::nil(),
        });
        for kind in ["weapons", "drugs"] {
            let marker = Marker::parse(kind, "r", "INT-1", "2027-01-01", "h", today).unwrap();
            record.apply(&PoleEvent::MarkerAdded { marker }, at, "h");
        }
        for (number, reason, field) in [
            (2, " ", "reason"),
            (0, "wrong person", "number"),
            (3, "wrong person", "number"),
        ] {
            match record.withdraw_marker(number, reason) {
                Err(Refused::Invalid(e)) => assert_eq!(e.field, field),
                other => panic!("marker {number}: {other:?}"),
            }
        }
        let event = record.withdraw_marker(2, "wrong person").unwrap();
        assert_eq!(
            event,
            PoleEvent::MarkerWithdrawn {
                number: 2,
                kind: MarkerKind::Drugs,
                reason: "wrong person".into()
            }
        );
        record.apply(&event, at, "supervisor");
        assert_eq!(record.markers.len(), 2, "never deleted");
        assert!(record.markers[0].current(today));
        assert!(!record.markers[1].current(today));
        let w = record.markers[1].withdrawn.as_ref().unwrap();
        assert_eq!(
            (w.by.as_str(), w.reason.as_str()),
            ("supervisor", "wrong person")
        );
        match record.withdraw_marker(2, "again") {
            Err(Refused::Rejected(r)) => assert!(r.reason.contains("already withdrawn"), "{r}"),
            other => panic!("{other:?}"),
        }
        // An added marker's stored form is unchanged by the new field.
        let added = serde_json::to_string(&PoleEvent::MarkerAdded {
            marker: record.markers[0].clone(),
        })
        .unwrap();
        assert!(!added.contains("withdrawn"), "{added}");
    }

    #[test]
    fn people_need_a_name_and_valid_details() {
        let today: Date = "2026-11-23".parse().unwrap();
        let ok = PersonDraft {
            names: vec!["Jon Smyth".into(), "John Smith".into()],
            phones: vec!["07700 900123".into()],
            ..Default::default()
        }
        .parse(today)
        .unwrap();
        assert_eq!(ok.phones[0].as_str(), "+447700900123");
        assert_eq!(
            PersonDraft::default().parse(today).unwrap_err().field,
            "names"
        );
        let bad = PersonDraft {
            names: vec!["A".into()],
            date_of_birth: Some("2030-01-01".into()),
            ..Default::default()
        };
        assert_eq!(bad.parse(today).unwrap_err().field, "date_of_birth");
        let bad = PersonDraft {
            names: vec!["A".into()],
            age_from: Some(40),
            age_to: Some(30),
            ..Default::default()
        };
        assert_eq!(bad.parse(today).unwrap_err().field, "age_from");
    }
}
