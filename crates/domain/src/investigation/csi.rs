//! Scenes of crime: a request for a crime scene investigator from the incident or the crime,
//! with what is to be examined, where, the forensic opportunities seen and the preservation
//! advice given to the caller (so the log shows what they were told to keep untouched); then
//! booked into the CSI diary, attended with a result (exhibits, or no forensic opportunity),
//! or cancelled.
//!
//! requested -> booked (re-booking allowed) -> attended | cancelled (from requested or booked).

use crate::text::Code;
use crate::user::Username;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The force diary area CSI attendances are booked in when the booking names none.
pub const DIARY_AREA: &str = "CSI";

/// [`DIARY_AREA`] as a code.
pub fn diary_area() -> Code {
    Code::constant(DIARY_AREA)
}

/// The request (the event `crime.csi_requested`); the id is the caller's, as for enquiries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsiRequest {
    pub id: Uuid,
    /// What is to be examined (a forced door, a car, a broken window).
    pub what: String,
    /// Where.
    pub location: String,
    pub forensic_opportunities: Vec<String>,
    /// What the caller was told to do to preserve the scene.
    pub preservation_advice: String,
    /// The incident the request came from, if it came from one.
    pub incident: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exhibit {
    pub reference: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CsiResult {
    Exhibits { exhibits: Vec<Exhibit> },
    NoForensicOpportunity { note: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CsiStatus {
    Requested,
    Booked {
        diary_time: Timestamp,
        by: Username,
        /// The force diary's area it is booked in (none before bookings went into the diary).
        area: Option<Code>,
    },
    Attended {
        attended_at: Timestamp,
        by: Username,
        result: CsiResult,
    },
    Cancelled {
        reason: String,
        by: Username,
    },
}

impl CsiStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Booked { .. } => "booked",
            Self::Attended { .. } => "attended",
            Self::Cancelled { .. } => "cancelled",
        }
    }

    /// Still waiting for the CSI team.
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Requested | Self::Booked { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsiState {
    pub request: CsiRequest,
    pub requested_at: Timestamp,
    pub requested_by: Username,
    pub status: CsiStatus,
}

/// One request in the CSI team's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsiQueueItem<'a> {
    pub crime: Uuid,
    pub request: &'a CsiState,
}

/// The CSI team's queue: requests still to book first (oldest first), then booked ones by
/// diary time.
pub fn queue<'a>(
    crimes: impl IntoIterator<Item = (Uuid, &'a [CsiState])>,
) -> Vec<CsiQueueItem<'a>> {
    let mut items: Vec<CsiQueueItem<'a>> = crimes
        .into_iter()
        .flat_map(|(crime, requests)| {
            requests
                .iter()
                .filter(|r| r.status.is_pending())
                .map(move |request| CsiQueueItem { crime, request })
        })
        .collect();
    items.sort_by_key(|i| match &i.request.status {
        CsiStatus::Booked { diary_time, .. } => (1, *diary_time, i.request.request.id),
        _ => (0, i.request.requested_at, i.request.request.id),
    });
    items
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_diary_area_is_a_code() {
        let parsed = crate::text::Code::parse("area", super::DIARY_AREA).unwrap();
        assert_eq!(parsed, super::diary_area());
    }
}
