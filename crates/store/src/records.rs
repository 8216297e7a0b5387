//! Rows as the store keeps them. Plain data: the use cases turn them into domain types.

use controlroom_domain::audit::Category;

/// What a writer hands to [`crate::WriteTx::append`]; the store adds `seq` and the hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub category: Category,
    pub stream: String,
    pub kind: String,
    pub actor: String,
    pub at_micros: i64,
    pub payload: String,
    /// The role the actor acted in, when there is one (see `AuditRecord::role`).
    pub role: Option<String>,
    /// Whether the change alters what the search index holds: the actor's searches must
    /// then see it ([`crate::Store::search_mark`]). Not stored in the record.
    pub searchable: bool,
}

/// One row of the incident list: enough to list, filter and sort without replaying events.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub id: String,
    pub reference: String,
    pub status: String,
    pub grade: Option<String>,
    pub incident_type: Option<String>,
    pub channel: String,
    pub location_text: String,
    pub summary: String,
    pub contact_count: i64,
    pub opened_at_micros: i64,
    pub last_changed_at_micros: i64,
    pub version: i64,
    /// When the attendance target for the current grade runs out, while someone is due.
    pub attend_by_micros: Option<i64>,
    /// NCRS: when the crime was reported, for an incident that is a report of a crime (the
    /// 24-hour recording clock runs from here); `None` for other incidents.
    pub crime_report_at_micros: Option<i64>,
    /// When the crime-recording decision was made; `None` while it is awaited.
    pub recording_decided_at_micros: Option<i64>,
    /// `crime` or `non_crime`, once decided.
    pub recording_decision: Option<String>,
    /// Where the first caller placed it (WGS84), if they gave coordinates.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Incidents by where they stand in crime recording (NCRS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingFilter {
    /// Reports of crime with no decision yet, oldest report first: the recorder's queue.
    AwaitingDecision,
    /// Every report of crime, decided or not (for the on-time share).
    CrimeReports,
    /// Every incident with no recording decision, crime report or not (for the data
    /// integrity check, which also looks at narrative).
    Undecided,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub statuses: Vec<String>,
    pub grades: Vec<String>,
    /// Opened at or after (microseconds since the epoch).
    pub opened_from_micros: Option<i64>,
    /// Opened before.
    pub opened_before_micros: Option<i64>,
    pub recording: Option<RecordingFilter>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub username: String,
    /// Every role the user holds (at least one), in the order they were given. Stored in
    /// `user_roles`; `users.role` keeps the first, so a binary from before several roles
    /// were possible still reads one role, never more.
    pub roles: Vec<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub created_at_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the token: a stolen database copy gives no usable tokens.
    pub token_hash: String,
    pub username: String,
    pub created_at_micros: i64,
    pub last_seen_at_micros: i64,
}

/// The first answer to a write with an `Idempotency-Key`, returned again on a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    /// SHA-256 of what was asked: a retry must ask the same thing.
    pub fingerprint: String,
    /// What the first attempt produced, as JSON written by the use case.
    pub body: String,
}

/// One row of the crime list: enough to list and filter crimes without replaying events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrimeRow {
    pub id: String,
    pub reference: String,
    pub classification: String,
    /// `recorded`, `removal_requested` or `removed`.
    pub status: String,
    pub reported_at_micros: i64,
    pub recorded_at_micros: i64,
    pub recorded_by: String,
    pub incident_id: Option<String>,
    pub location_text: String,
    pub last_changed_at_micros: i64,
    /// How many events the crime's stream holds.
    pub version: i64,
    /// Still in the investigation work lists: not finalised, or a victim's update owed.
    pub in_work: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrimeFilter {
    /// Only crimes in this status (e.g. `removal_requested` for the registrar).
    pub status: Option<String>,
    /// Only the crime with this reference.
    pub reference: Option<String>,
    /// Only crimes still in work (`CrimeRow::in_work`).
    pub in_work: bool,
    pub limit: i64,
}

/// A gazetteer address as stored (`gazetteer_addresses`, one row per UPRN).
#[derive(Debug, Clone, PartialEq)]
pub struct AddressRow {
    pub uprn: i64,
    /// Empty when only the position is known (OS Open UPRN).
    pub single_line: String,
    pub organisation: Option<String>,
    pub building: Option<String>,
    pub number: Option<String>,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    /// `residential`, `commercial` or `other`.
    pub classification: String,
    pub usrn: Option<i64>,
    pub lat: f64,
    pub lon: f64,
}

/// A street (`gazetteer_streets`): `usrn:N` derived from its addresses, or an OS Open Names road.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetRow {
    pub id: String,
    pub usrn: Option<i64>,
    pub name: String,
    pub locality: Option<String>,
    pub town: Option<String>,
    pub lat: f64,
    pub lon: f64,
    /// The extent, `(min_lat, min_lon, max_lat, max_lon)`, when known.
    pub extent: Option<(f64, f64, f64, f64)>,
}

/// One address on a street, for drawing the street: its USRN, house number and position.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetPoint {
    pub usrn: i64,
    pub number: Option<String>,
    pub lat: f64,
    pub lon: f64,
}

/// A named place (`gazetteer_places`) with its aliases.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceRow {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub kind: String,
    pub locality: Option<String>,
    pub postcode_district: Option<String>,
    pub lat: f64,
    pub lon: f64,
}

/// A postcode centroid (`gazetteer_postcodes`).
#[derive(Debug, Clone, PartialEq)]
pub struct PostcodeRow {
    pub postcode: String,
    pub lat: f64,
    pub lon: f64,
}

/// Rows to write in one gazetteer transaction. Each kind is an upsert by its key (UPRN, street
/// id, place id, postcode): a re-import updates a row, never duplicates it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GazetteerBatch {
    pub addresses: Vec<AddressRow>,
    /// OS Open UPRN: positions by UPRN. A known address keeps its words and takes the
    /// position; an unknown UPRN is kept as a position only.
    pub positions: Vec<(i64, f64, f64)>,
    pub streets: Vec<StreetRow>,
    pub places: Vec<PlaceRow>,
    pub postcodes: Vec<PostcodeRow>,
}

impl GazetteerBatch {
    pub fn len(&self) -> usize {
        self.addresses.len()
            + self.positions.len()
            + self.streets.len()
            + self.places.len()
            + self.postcodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Gazetteer rows changed within a range of revisions, for the search index to catch up: the
/// same rows a batch writes. `positions` is always empty: a UPRN known only by its position
/// is read back as an address with no words.
pub type GazetteerChanges = GazetteerBatch;

/// How many of each the gazetteer holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GazetteerCounts {
    pub addresses: i64,
    pub streets: i64,
    pub places: i64,
    pub postcodes: i64,
}

/// A failed (or not yet decided) sign-in attempt, counted before its password is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInAttemptRow {
    pub username: String,
    /// The client address the attempt came from.
    pub address: String,
    pub at_micros: i64,
    /// Still counts against the username: a later successful sign-in clears this (the
    /// attempt still counts against its address).
    pub counts_for_name: bool,
}

/// One audit record as a follower of the log sees it: where it is, what it touched, when;
/// not what it says (`Store::log_entries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub seq: i64,
    pub category: String,
    pub stream: String,
    pub at_micros: i64,
}
