//! A contact: one person reaching the police once, by one channel. Several contacts about the
//! same event join one incident.

use crate::limits;
use crate::text::{Invalid, optional_text, required_text};
use crate::user::Username;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactId(pub Uuid);

impl fmt::Display for ContactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How the contact reached us. The wire names are the ones control rooms say out loud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    #[serde(rename = "999")]
    Emergency999,
    #[serde(rename = "101")]
    NonEmergency101,
    #[serde(rename = "online")]
    Online,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "front_counter")]
    FrontCounter,
    #[serde(rename = "partner_agency")]
    PartnerAgency,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Emergency999,
        Channel::NonEmergency101,
        Channel::Online,
        Channel::Email,
        Channel::FrontCounter,
        Channel::PartnerAgency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Emergency999 => "999",
            Channel::NonEmergency101 => "101",
            Channel::Online => "online",
            Channel::Email => "email",
            Channel::FrontCounter => "front_counter",
            Channel::PartnerAgency => "partner_agency",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new(
                "channel",
                format!(
                    "'{raw}' is not a channel; use one of 999, 101, online, email, front_counter, partner_agency"
                ),
            )
        })
    }
}

/// A telephone number as the caller gave it, checked to be dialable: digits with optional
/// spaces, dashes, brackets and a leading `+`; 6 to 15 digits (ITU-T E.164 allows 15).
/// Normalisation to E.164 arrives with intelligence checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        let text = required_text(field, raw, limits::PHONE)?;
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let shape_ok = text
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (c == '+' && i == 0));
        if !shape_ok || !(6..=15).contains(&digits) {
            return Err(Invalid::new(
                field,
                format!("'{text}' is not a telephone number (6 to 15 digits, e.g. 07700 900123)"),
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub name: String,
    pub phone: Option<PhoneNumber>,
    pub callback: Option<PhoneNumber>,
    pub is_victim: bool,
}

/// WGS84 latitude and longitude in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

impl Coordinates {
    pub fn parse(lat: f64, lon: f64) -> Result<Self, Invalid> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(Invalid::new(
                "location.lat",
                "latitude must be between -90 and 90",
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(Invalid::new(
                "location.lon",
                "longitude must be between -180 and 180",
            ));
        }
        Ok(Self { lat, lon })
    }
}

/// Unique Property Reference Number: the national identifier of an addressable place, up to
/// 12 digits (GeoPlace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Uprn(String);

impl Uprn {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = raw.trim();
        if text.is_empty() || text.len() > 12 || !text.chars().all(|c| c.is_ascii_digit()) {
            return Err(Invalid::new("location.uprn", "a UPRN is 1 to 12 digits"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub text: String,
    pub coordinates: Option<Coordinates>,
    pub uprn: Option<Uprn>,
    /// Urban or rural: which attendance target applies.
    #[serde(default)]
    pub area: crate::assessment::Area,
}

/// A contact as recorded: immutable once taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub channel: Channel,
    pub received_at: Timestamp,
    pub answered_at: Timestamp,
    pub caller: Caller,
    pub location: Location,
    pub summary: String,
    pub handler: Username,
}

/// What a handler types, before it is checked. Plain strings and numbers, so the edge (HTTP,
/// CLI, demo data) can hand input over without knowing the rules.
#[derive(Debug, Clone, Default)]
pub struct ContactDraft {
    pub channel: String,
    pub received_at: Option<Timestamp>,
    pub answered_at: Option<Timestamp>,
    pub caller_name: String,
    pub caller_phone: Option<String>,
    pub caller_callback: Option<String>,
    pub caller_is_victim: bool,
    pub location_text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub uprn: Option<String>,
    /// `urban` (the default) or `rural`.
    pub area: Option<String>,
    pub summary: String,
}

/// How far ahead of our clock a client's timestamp may be before we call it a mistake.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(2);

impl ContactDraft {
    /// Check every field and build the contact. Reports the first problem found, naming the
    /// field.
    pub fn into_contact(
        self,
        id: ContactId,
        handler: Username,
        now: Timestamp,
    ) -> Result<Contact, Invalid> {
        let channel = Channel::parse(&self.channel)?;
        let name = required_text("caller.name", &self.caller_name, limits::NAME)?;
        let phone = optional_text("caller.phone", self.caller_phone.as_deref(), limits::PHONE)?
            .map(|p| PhoneNumber::parse("caller.phone", &p))
            .transpose()?;
        let callback = optional_text(
            "caller.callback",
            self.caller_callback.as_deref(),
            limits::PHONE,
        )?
        .map(|p| PhoneNumber::parse("caller.callback", &p))
        .transpose()?;
        let text = required_text("location.text", &self.location_text, limits::ADDRESS)?;
        let coordinates = match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => Some(Coordinates::parse(lat, lon)?),
            (None, None) => None,
            _ => {
                return Err(Invalid::new(
                    "location",
                    "give both latitude and longitude, or neither",
                ));
            }
        };
        let uprn = optional_text("location.uprn", self.uprn.as_deref(), limits::UPRN)?
            .map(|u| Uprn::parse(&u))
            .transpose()?;
        let area = match self
            .area
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            None => crate::assessment::Area::Urban,
            Some(raw) => crate::assessment::Area::parse(raw).ok_or_else(|| {
                Invalid::new(
                    "location.area",
                    format!("'{raw}' is not an area; use urban or rural"),
                )
            })?,
        };
        let summary = required_text("summary", &self.summary, limits::NARRATIVE)?;

        let received_at = self.received_at.unwrap_or(now);
        let answered_at = self.answered_at.unwrap_or(now.max(received_at));
        if received_at > now + CLOCK_SKEW {
            return Err(Invalid::new("received_at", "is in the future"));
        }
        if answered_at > now + CLOCK_SKEW {
            return Err(Invalid::new("answered_at", "is in the future"));
        }
        if answered_at < received_at {
            return Err(Invalid::new(
                "answered_at",
                "is before the contact was received",
            ));
        }

        Ok(Contact {
            id,
            channel,
            received_at,
            answered_at,
            caller: Caller {
                name,
                phone,
                callback,
                is_victim: self.caller_is_victim,
            },
            location: Location {
                text,
                coordinates,
                uprn,
                area,
            },
            summary,
            handler,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ContactDraft {
        ContactDraft {
            channel: "999".into(),
            caller_name: "Jane Doe".into(),
            caller_phone: Some("07700 900123".into()),
            location_text: "12 High Street, Anytown".into(),
            summary: "Man shouting in the street".into(),
            ..ContactDraft::default()
        }
    }

    fn now() -> Timestamp {
        "2026-11-23T03:00:00Z".parse().unwrap()
    }

    fn handler() -> Username {
        Username::parse("handler").unwrap()
    }

    #[test]
    fn a_complete_draft_becomes_a_contact_answered_now() {
        let contact = draft()
            .into_contact(ContactId(Uuid::nil()), handler(), now())
            .unwrap();
        assert_eq!(contact.channel, Channel::Emergency999);
        assert_eq!(contact.answered_at, now());
        assert_eq!(contact.caller.phone.unwrap().as_str(), "07700 900123");
    }

    #[test]
    fn every_channel_round_trips_through_its_name() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()).unwrap(), channel);
        }
        assert_eq!(
            Channel::parse("carrier pigeon").unwrap_err().field,
            "channel"
        );
    }

    #[test]
    fn bad_fields_are_named() {
        type Spoil = fn(&mut ContactDraft);
        let cases: Vec<(Spoil, &str)> = vec![
            (|d| d.caller_name = " ".into(), "caller.name"),
            (|d| d.caller_phone = Some("call me".into()), "caller.phone"),
            (
                |d| d.caller_callback = Some("+44 12".into()),
                "caller.callback",
            ),
            (|d| d.location_text = String::new(), "location.text"),
            (|d| d.lat = Some(51.5), "location"),
            (|d| (d.lat, d.lon) = (Some(95.0), Some(0.0)), "location.lat"),
            (|d| d.uprn = Some("12ab".into()), "location.uprn"),
            (|d| d.summary = String::new(), "summary"),
        ];
        for (spoil, field) in cases {
            let mut d = draft();
            spoil(&mut d);
            let err = d
                .into_contact(ContactId(Uuid::nil()), handler(), now())
                .unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn answer_cannot_precede_receipt_or_lie_in_the_future() {
        let mut d = draft();
        d.received_at = Some(now());
        d.answered_at = Some(now() - SignedDuration::from_secs(5));
        assert_eq!(
            d.into_contact(ContactId(Uuid::nil()), handler(), now())
                .unwrap_err()
                .field,
            "answered_at"
        );
        let mut d = draft();
        d.received_at = Some(now() + SignedDuration::from_hours(1));
        assert_eq!(
            d.into_contact(ContactId(Uuid::nil()), handler(), now())
                .unwrap_err()
                .field,
            "received_at"
        );
    }
}
