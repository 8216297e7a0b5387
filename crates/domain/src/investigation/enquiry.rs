//! Lines of enquiry: the investigation plan as tasks, each with an owner, a time it is due
//! and, once done, its result. A CCTV request carries the date the footage is kept until
//! (systems overwrite, commonly after 28 to 31 days): the request is due before then, and the
//! queue orders by whichever comes first.

use crate::user::Username;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnquiryKind {
    CctvRequest {
        /// Where the camera is, or whose system it is.
        location: String,
        /// When the footage will be overwritten.
        retention_until: Timestamp,
    },
    HouseToHouse,
    BankCheck,
    PhoneCheck,
    /// Police National Computer.
    PncCheck,
    /// Police National Database.
    PndCheck,
    PartnerEnquiry {
        agency: String,
    },
    Other,
}

impl EnquiryKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::CctvRequest { .. } => "cctv_request",
            Self::HouseToHouse => "house_to_house",
            Self::BankCheck => "bank_check",
            Self::PhoneCheck => "phone_check",
            Self::PncCheck => "pnc_check",
            Self::PndCheck => "pnd_check",
            Self::PartnerEnquiry { .. } => "partner_enquiry",
            Self::Other => "other",
        }
    }
}

/// A line of enquiry as set (the event `crime.enquiry_added`). The id is chosen by the caller
/// (the application makes a UUID), so the command can be retried without a second task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enquiry {
    pub id: Uuid,
    #[serde(flatten)]
    pub kind: EnquiryKind,
    pub description: String,
    pub owner: Username,
    pub due: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnquiryResult {
    pub text: String,
    pub at: Timestamp,
    pub by: Username,
}

/// A line of enquiry and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnquiryState {
    pub enquiry: Enquiry,
    pub added_at: Timestamp,
    pub added_by: Username,
    pub result: Option<EnquiryResult>,
}

impl EnquiryState {
    pub fn is_open(&self) -> bool {
        self.result.is_none()
    }

    /// The moment that matters: the due time, or for CCTV the end of retention if sooner.
    pub fn deadline(&self) -> Timestamp {
        match &self.enquiry.kind {
            EnquiryKind::CctvRequest {
                retention_until, ..
            } => self.enquiry.due.min(*retention_until),
            _ => self.enquiry.due,
        }
    }

    /// Open and past its deadline at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.is_open() && now > self.deadline()
    }
}

/// One task in a queue: which crime, which enquiry, and whether it is overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem<'a> {
    pub crime: Uuid,
    pub enquiry: &'a EnquiryState,
    pub overdue: bool,
}

/// Open enquiries of `crimes` passing `keep`, ordered for working through: the earliest
/// deadline first (so the overdue lead, the longest overdue first), then the earliest set.
fn ordered<'a>(
    crimes: impl IntoIterator<Item = (Uuid, &'a [EnquiryState])>,
    now: Timestamp,
    keep: impl Fn(&EnquiryState) -> bool,
) -> Vec<QueueItem<'a>> {
    let mut items: Vec<QueueItem<'a>> = crimes
        .into_iter()
        .flat_map(|(crime, enquiries)| {
            enquiries
                .iter()
                .filter(|e| e.is_open() && keep(e))
                .map(move |enquiry| QueueItem {
                    crime,
                    enquiry,
                    overdue: enquiry.overdue(now),
                })
        })
        .collect();
    items.sort_by_key(|i| {
        (
            i.enquiry.deadline(),
            i.enquiry.added_at,
            i.crime,
            i.enquiry.enquiry.id,
        )
    });
    items
}

/// An investigator's queue: their open enquiries across `crimes`, in working order.
pub fn queue<'a>(
    crimes: impl IntoIterator<Item = (Uuid, &'a [EnquiryState])>,
    owner: &Username,
    now: Timestamp,
) -> Vec<QueueItem<'a>> {
    ordered(crimes, now, |e| &e.enquiry.owner == owner)
}

/// The supervisor's overdue list: every open enquiry past its deadline at `now`.
pub fn overdue<'a>(
    crimes: impl IntoIterator<Item = (Uuid, &'a [EnquiryState])>,
    now: Timestamp,
) -> Vec<QueueItem<'a>> {
    ordered(crimes, now, |e| e.overdue(now))
}
