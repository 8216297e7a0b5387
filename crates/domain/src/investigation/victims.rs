//! The Code of Practice for Victims of Crime in England and Wales (Ministry of Justice,
//! November 2020, in force 1 April 2021): the needs assessment, contact preferences, referral
//! to support services, the information given at reporting, the Victim Personal Statement and
//! the update clocks.
//!
//! The Code's rights used here: Right 1 (to understand and be understood: language and
//! interpreter), Right 3 (information when reporting: the crime reference number and who to
//! contact), Right 4 (referral to victim support services, with consent), Right 6 (information
//! about the investigation: key decisions told within 5 working days, 1 working day for
//! victims eligible for enhanced rights), Right 7 (to make a Victim Personal Statement).
//! The limits themselves are data (`reference/victim-updates.psv`), with what is verified.

use super::policy::{UpdateLimit, WorkingCalendar};
use crate::user::Username;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a victim is eligible for enhanced rights under the Victims' Code (2020 Code,
/// "enhanced rights": victims of the most serious crime, persistently targeted victims,
/// vulnerable or intimidated victims; close relatives bereaved by criminal conduct are
/// victims of the most serious crime and are eligible too).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EnhancedRights {
    MostSeriousCrime,
    PersistentlyTargeted,
    Vulnerable,
    Intimidated,
    /// A close relative bereaved by criminal conduct (a victim in their own right).
    BereavedCloseRelative,
}

/// How a victim wants to be contacted.
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
pub enum ContactMethod {
    Phone,
    Email,
    Letter,
    Visit,
    Text,
}

/// The victim's contact preferences (how, when, through whom, in which language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPreferences {
    pub how: ContactMethod,
    /// When contact suits ("weekday evenings"), if the victim said.
    pub when: Option<String>,
    /// Someone to contact instead of or as well as the victim (a parent, a nominated family
    /// spokesperson), if any.
    pub who: Option<String>,
    pub language: String,
    /// Right 1: an interpreter is needed to understand and be understood.
    pub interpreter: bool,
}

/// The needs assessment at recording, for one victim (a person record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedsAssessment {
    pub victim: Uuid,
    /// Empty: standard rights.
    pub enhanced: Vec<EnhancedRights>,
    /// The support needs found, in words.
    pub needs: String,
    pub preferences: ContactPreferences,
}

/// Right 4: referral to victim support services, which needs the victim's consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "referral", rename_all = "snake_case")]
pub enum Referral {
    Consented { service: String },
    Declined,
}

/// A victim's position on police action, for the victim-based outcomes (HOCR Section H,
/// outcomes 14, 15 and 16).
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
pub enum VictimPosition {
    Supports,
    Declines,
    /// Supported action at first, then withdrew.
    Withdrawn,
    /// Cannot support it (e.g. too ill, cannot be traced).
    Unable,
}

/// The key events that oblige the police to tell the victim (Victims' Code 2020, Right 6).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum KeyEventKind {
    SuspectArrested,
    SuspectInterviewed,
    SuspectCharged,
    ReleasedOnBail,
    ReleasedUnderInvestigation,
    NoFurtherAction,
    OutOfCourtDisposal,
    /// Recorded by the supervisor's approval of the finalisation, never by hand.
    Finalised,
}

impl KeyEventKind {
    pub const ALL: [KeyEventKind; 8] = [
        Self::SuspectArrested,
        Self::SuspectInterviewed,
        Self::SuspectCharged,
        Self::ReleasedOnBail,
        Self::ReleasedUnderInvestigation,
        Self::NoFurtherAction,
        Self::OutOfCourtDisposal,
        Self::Finalised,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the event is about a suspect (and so needs one identified).
    pub fn concerns_suspect(self) -> bool {
        !matches!(self, Self::Finalised)
    }
}

/// The deadline one key event opens to tell one victim, worked out when the event is recorded
/// and stored with it, so a later change to the limits or the calendar never rewrites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateDeadline {
    /// The key event's number within the crime (from 1).
    pub key_event: u32,
    pub victim: Uuid,
    pub kind: KeyEventKind,
    pub occurred_at: Timestamp,
    /// The victim was eligible for enhanced rights when the event was recorded.
    pub enhanced: bool,
    pub working_days: u32,
    /// The victim must be told before this moment (the start of the day after the last
    /// working day allowed).
    pub due_before: Timestamp,
    /// False when the count ran into a year the bank holiday list does not cover: only
    /// weekends were skipped there.
    pub calendar_known: bool,
    /// The right the limit comes from (from `victim-updates.psv`).
    pub source: String,
}

/// One deadline and whether, and when, the victim was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineState {
    pub deadline: UpdateDeadline,
    pub informed: Option<Informed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Informed {
    pub at: Timestamp,
    pub by: Username,
    pub method: ContactMethod,
    pub note: String,
}

impl DeadlineState {
    pub fn is_open(&self) -> bool {
        self.informed.is_none()
    }

    /// Open and past its limit at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.is_open() && now >= self.deadline.due_before
    }

    /// Once closed: whether the victim was told in time.
    pub fn on_time(&self) -> Option<bool> {
        self.informed
            .as_ref()
            .map(|i| i.at < self.deadline.due_before)
    }
}

/// What is held for one victim of a crime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VictimCare {
    pub victim: Uuid,
    pub assessment: Option<Assessed>,
    pub referral: Option<(Referral, Timestamp)>,
    /// Right 3: when the crime number and the named contact were given, and who the contact is.
    pub details_given: Option<(Timestamp, String)>,
    /// Right 7: when the Victim Personal Statement was offered and whether it was taken up.
    pub vps: Option<(Timestamp, bool)>,
    pub position: Option<(VictimPosition, String, Timestamp)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessed {
    pub assessment: NeedsAssessment,
    pub at: Timestamp,
    pub by: Username,
}

impl VictimCare {
    pub fn new(victim: Uuid) -> Self {
        Self {
            victim,
            assessment: None,
            referral: None,
            details_given: None,
            vps: None,
            position: None,
        }
    }

    /// Eligible for enhanced rights on the latest needs assessment.
    pub fn enhanced(&self) -> bool {
        self.assessment
            .as_ref()
            .is_some_and(|a| !a.assessment.enhanced.is_empty())
    }
}

/// The moment before which a victim must be told of an event at `occurred_at`, `days`
/// working days later: the days are counted in `time_zone` from the day after the event
/// (a Saturday arrest counts from Monday), skipping weekends and `calendar`'s bank holidays,
/// and the victim must be told before the end of the last one. Returns the moment and whether
/// the calendar covered every year counted through. `None` only past the end of time.
pub fn due_before(
    occurred_at: Timestamp,
    days: u32,
    time_zone: &TimeZone,
    calendar: &WorkingCalendar,
) -> Option<(Timestamp, bool)> {
    let mut date = occurred_at.to_zoned(time_zone.clone()).date();
    let mut known = calendar.covers(date);
    let mut counted = 0;
    while counted < days {
        date = date.tomorrow().ok()?;
        known &= calendar.covers(date);
        if calendar.is_working_day(date) {
            counted += 1;
        }
    }
    let end = date.tomorrow().ok()?.to_zoned(time_zone.clone()).ok()?;
    Some((end.timestamp(), known))
}

/// The deadlines an event opens, one per victim, by the limit for its kind.
pub fn deadlines_for(
    key_event: u32,
    kind: KeyEventKind,
    occurred_at: Timestamp,
    victims: &[(Uuid, bool)],
    limit: &UpdateLimit,
    time_zone: &TimeZone,
    calendar: &WorkingCalendar,
) -> Option<Vec<UpdateDeadline>> {
    victims
        .iter()
        .map(|(victim, enhanced)| {
            let days = if *enhanced {
                limit.enhanced_working_days
            } else {
                limit.standard_working_days
            };
            let (due_before, calendar_known) = due_before(occurred_at, days, time_zone, calendar)?;
            Some(UpdateDeadline {
                key_event,
                victim: *victim,
                kind,
                occurred_at,
                enhanced: *enhanced,
                working_days: days,
                due_before,
                calendar_known,
                source: limit.source.clone(),
            })
        })
        .collect()
}

/// A deadline still open, for the "victims awaiting update" queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingUpdate<'a> {
    pub crime: Uuid,
    pub deadline: &'a UpdateDeadline,
    pub overdue: bool,
}

/// Every open deadline of `crimes` at `now`, the soonest due first (overdue ones lead).
pub fn awaiting_update<'a>(
    crimes: impl IntoIterator<Item = (Uuid, &'a [DeadlineState])>,
    now: Timestamp,
) -> Vec<AwaitingUpdate<'a>> {
    let mut open: Vec<AwaitingUpdate<'a>> = crimes
        .into_iter()
        .flat_map(|(crime, deadlines)| {
            deadlines
                .iter()
                .filter(|d| d.is_open())
                .map(move |d| AwaitingUpdate {
                    crime,
                    deadline: &d.deadline,
                    overdue: d.overdue(now),
                })
        })
        .collect();
    open.sort_by_key(|a| (a.deadline.due_before, a.crime, a.deadline.victim));
    open
}

/// How many closed deadlines were met: the supervisor's on-time share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnTimeShare {
    pub on_time: usize,
    pub closed: usize,
}

impl OnTimeShare {
    /// The share met, from 0 to 1; `None` with nothing closed (no share to speak of).
    pub fn share(&self) -> Option<f64> {
        (self.closed > 0).then(|| self.on_time as f64 / self.closed as f64)
    }
}

/// The on-time share over the closed deadlines of `deadlines` (open ones do not count).
pub fn on_time_share<'a>(deadlines: impl IntoIterator<Item = &'a DeadlineState>) -> OnTimeShare {
    let mut share = OnTimeShare::default();
    for on_time in deadlines.into_iter().filter_map(DeadlineState::on_time) {
        share.closed += 1;
        share.on_time += usize::from(on_time);
    }
    share
}
