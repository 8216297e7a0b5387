//! Links: a crime to other crimes (a series, the same suspect) and to people in a role.
//! The parties named when the crime was recorded are links too (source `recorded`), so the
//! suspects and victims of a crime are read in one place.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CrimeLinkKind {
    /// Part of a series (the same method, place or time pattern).
    Series,
    SameSuspect,
    SameVictim,
    /// Related in some other way, said in the note.
    Related,
}

/// A link to another crime (the event `crime.crime_linked`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrimeLink {
    pub crime: Uuid,
    pub kind: CrimeLinkKind,
    pub note: Option<String>,
}

/// A person's role in a crime.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CrimeRole {
    Victim,
    Suspect,
    Witness,
    ReportingPerson,
    /// A close relative bereaved by the crime: a victim under the Victims' Code, with
    /// enhanced rights.
    BereavedCloseRelative,
}

impl CrimeRole {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The roles the Victims' Code treats as victims (2020 Code, "who is a victim": a
    /// person harmed by the offence, or a close relative of a person whose death it caused).
    pub fn is_victim(self) -> bool {
        matches!(self, Self::Victim | Self::BereavedCloseRelative)
    }
}

/// A person linked to a crime in a role (the event `crime.person_linked`). `person` is the
/// person's POLE record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonLink {
    pub person: Uuid,
    pub role: CrimeRole,
    pub note: Option<String>,
}

/// A person link as held: where it came from, and whether it was withdrawn (a suspect
/// eliminated, a witness linked in error), which keeps it on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonLinkState {
    pub link: PersonLink,
    /// Named when the crime was recorded, rather than linked later.
    pub recorded: bool,
    pub withdrawn: Option<String>,
}

impl PersonLinkState {
    pub fn active(&self) -> bool {
        self.withdrawn.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrimeLinkState {
    pub link: CrimeLink,
    pub withdrawn: Option<String>,
}
