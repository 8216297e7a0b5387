//! A contact: one person reaching the police once, by one channel. Several contacts about the
//! same event join one incident.

use crate::gazetteer::Precision;
use crate::limits;
use crate::text::{Invalid, PersonName, optional_text, required_text};
use crate::user::Username;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

id_type!(ContactId(Uuid));

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
/// spaces, dashes, brackets and a leading `+`; 6 to 15 digits (ITU-T E.164 allows 15). It is
/// kept as written (that is what the handler read back to the caller); [`PhoneNumber::e164`]
/// is its normal form, the one key every look-up uses (`pole::E164`, the only reader of
/// numbers). libphonenumber (the `phonenumber` crate) was tried for this and refuses Ofcom's
/// drama ranges (07700 900xxx, 01632 960xxx) as invalid, so it cannot be the reader here.
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

    /// The number in E.164 form, when it has one (a short or local number written without
    /// its area code has none, and is matched by nothing).
    pub fn e164(&self) -> Option<crate::pole::E164> {
        crate::pole::E164::parse("phone", &self.0).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub name: PersonName,
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
    /// What the caller said, or the gazetteer's address the handler chose.
    pub text: String,
    /// The position, however it was found: [`Location::precision`] says how far to trust it.
    pub coordinates: Option<Coordinates>,
    pub uprn: Option<Uprn>,
    /// Urban or rural: which attendance target applies.
    #[serde(default)]
    pub area: crate::assessment::Area,
    /// How the position was found. Absent on contacts taken before the gazetteer: see
    /// [`Location::precision`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// Where the network placed the caller's handset (AML), kept beside the address even when
    /// the address is what places the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handset: Option<HandsetLocation>,
}

impl Location {
    /// How far the position can be trusted. Contacts taken before precision was recorded are
    /// read as their fields allow: a UPRN was an address, coordinates alone a typed point.
    pub fn precision(&self) -> Precision {
        match (
            self.precision,
            self.uprn.is_some(),
            self.coordinates.is_some(),
        ) {
            (Some(p), _, _) => p,
            (None, true, true) => Precision::ExactAddress,
            (None, _, true) => Precision::MapPin,
            (None, _, false) => Precision::CallersWords,
        }
    }
}

/// The caller's handset location from the network (Advanced Mobile Location, or a cell fix):
/// a point and the radius the caller is within.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandsetLocation {
    pub position: Coordinates,
    pub radius_metres: u32,
    /// `AML`, `cell` or as the force's interface names it.
    pub source: String,
    /// When the network located the handset.
    pub located_at: Timestamp,
}

/// The largest handset radius accepted: a rural cell can be this wide; beyond it the location
/// places nobody.
pub const MAX_HANDSET_RADIUS_METRES: u32 = 50_000;

/// A handset location as received, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct HandsetDraft {
    pub lat: f64,
    pub lon: f64,
    pub radius_metres: f64,
    pub source: Option<String>,
    pub located_at: Option<Timestamp>,
}

/// A position the application found in the gazetteer for what the handler chose (an address,
/// a street, a named place or a postcode).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GazetteerFix {
    pub position: Coordinates,
    pub precision: Precision,
}

/// Pin positions this close to the gazetteer's are the gazetteer's (a map click on the door).
const SAME_POINT_DEGREES: f64 = 0.000_01;

/// Where the incident is placed, and how precisely, from what is known: a gazetteer choice,
/// a map pin (lat/lon typed or dropped), a handset location, in that order of trust. A pin
/// moved off the chosen address wins, because the handler moved it knowingly (the back
/// garden, the far end of a long drive); the handset places the call only when nothing else
/// does.
pub fn place(
    fix: Option<GazetteerFix>,
    pin: Option<Coordinates>,
    handset: Option<&HandsetLocation>,
) -> (Option<Coordinates>, Precision) {
    match (fix, pin, handset) {
        (Some(fix), Some(pin), _)
            if (fix.position.lat - pin.lat).abs() > SAME_POINT_DEGREES
                || (fix.position.lon - pin.lon).abs() > SAME_POINT_DEGREES =>
        {
            (Some(pin), Precision::MapPin)
        }
        (Some(fix), _, _) => (Some(fix.position), fix.precision),
        (None, Some(pin), _) => (Some(pin), Precision::MapPin),
        (None, None, Some(h)) => (
            Some(h.position),
            Precision::Handset {
                radius_metres: h.radius_metres,
            },
        ),
        (None, None, None) => (None, Precision::CallersWords),
    }
}

impl HandsetDraft {
    /// Check a handset location received with a contact received at `received_at`.
    pub fn check(self, received_at: Timestamp, now: Timestamp) -> Result<HandsetLocation, Invalid> {
        let position = Coordinates::parse(self.lat, self.lon)
            .map_err(|e| Invalid::new("location.handset", e.message))?;
        if !self.radius_metres.is_finite()
            || self.radius_metres < 1.0
            || self.radius_metres > f64::from(MAX_HANDSET_RADIUS_METRES)
        {
            return Err(Invalid::new(
                "location.handset.radius_metres",
                format!("must be between 1 and {MAX_HANDSET_RADIUS_METRES} metres"),
            ));
        }
        let source = optional_text(
            "location.handset.source",
            self.source.as_deref(),
            limits::CODE,
        )?
        .unwrap_or_else(|| "AML".to_owned());
        let located_at = self.located_at.unwrap_or(received_at);
        if located_at > now + CLOCK_SKEW {
            return Err(Invalid::new(
                "location.handset.located_at",
                "is in the future",
            ));
        }
        Ok(HandsetLocation {
            position,
            // Rounded up: a radius is a promise the caller is inside it.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            radius_metres: self.radius_metres.ceil() as u32,
            source,
            located_at,
        })
    }
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
/// CLI, demo data) can hand input over without knowing the rules. Laid out as the call card
/// is: who rang, where it is, what is happening.
#[derive(Debug, Clone, Default)]
pub struct ContactDraft {
    pub channel: String,
    pub received_at: Option<Timestamp>,
    pub answered_at: Option<Timestamp>,
    pub caller: CallerDraft,
    pub location: LocationDraft,
    pub summary: String,
}

/// The caller's details as typed: becomes a [`Caller`].
#[derive(Debug, Clone, Default)]
pub struct CallerDraft {
    pub name: String,
    pub phone: Option<String>,
    pub callback: Option<String>,
    pub is_victim: bool,
}

/// Where it is, as typed, pinned or chosen: becomes a [`Location`].
#[derive(Debug, Clone, Default)]
pub struct LocationDraft {
    pub text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub uprn: Option<String>,
    /// `urban` (the default) or `rural`.
    pub area: Option<String>,
    /// What the gazetteer says about the handler's choice (filled by the application, which
    /// can read the gazetteer; the domain cannot).
    pub fix: Option<GazetteerFix>,
    pub handset: Option<HandsetDraft>,
}

impl CallerDraft {
    /// A caller known only by name, the least a call card takes.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    pub fn parse(self) -> Result<Caller, Invalid> {
        let phone = |field: &str, raw: Option<String>| {
            optional_text(field, raw.as_deref(), limits::PHONE)?
                .map(|p| PhoneNumber::parse(field, &p))
                .transpose()
        };
        Ok(Caller {
            name: PersonName::parse("caller.name", &self.name)?,
            phone: phone("caller.phone", self.phone)?,
            callback: phone("caller.callback", self.callback)?,
            is_victim: self.is_victim,
        })
    }
}

impl LocationDraft {
    /// A place known only by what the caller said.
    pub fn described(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Check the location of a contact received at `received_at` (a handset fix may not be
    /// later than the call) and place it (see [`place`]).
    pub fn parse(self, received_at: Timestamp, now: Timestamp) -> Result<Location, Invalid> {
        let text = required_text("location.text", &self.text, limits::ADDRESS)?;
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
        let handset = self
            .handset
            .map(|h| h.check(received_at, now))
            .transpose()?;
        let (coordinates, precision) = place(self.fix, coordinates, handset.as_ref());
        Ok(Location {
            text,
            coordinates,
            uprn,
            area,
            precision: Some(precision),
            handset,
        })
    }
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
        let caller = self.caller.parse()?;
        let received_at = self.received_at.unwrap_or(now);
        let location = self.location.parse(received_at, now)?;
        let summary = required_text("summary", &self.summary, limits::NARRATIVE)?;
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
            caller,
            location,
            summary,
            handler,
        })
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_phone_number_keeps_its_writing_and_has_one_normal_form() {
        let written = PhoneNumber::parse("phone", "07700 900123").unwrap();
        assert_eq!(written.as_str(), "07700 900123");
        assert_eq!(written.e164().unwrap().as_str(), "+447700900123");
        let international = PhoneNumber::parse("phone", "+44 (0)7700 900123").unwrap();
        assert_eq!(international.e164(), written.e164());
        assert_eq!(PhoneNumber::parse("phone", "900123").unwrap().e164(), None);
    }
    use super::*;

    fn draft() -> ContactDraft {
        ContactDraft {
            channel: "999".into(),
            caller: CallerDraft {
                phone: Some("07700 900123".into()),
                ..CallerDraft::named("Jane Doe")
            },
            location: LocationDraft::described("12 High Street, Anytown"),
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
            (|d| d.caller.name = " ".into(), "caller.name"),
            (|d| d.caller.phone = Some("call me".into()), "caller.phone"),
            (
                |d| d.caller.callback = Some("+44 12".into()),
                "caller.callback",
            ),
            (|d| d.location.text = String::new(), "location.text"),
            (|d| d.location.lat = Some(51.5), "location"),
            (
                |d| (d.location.lat, d.location.lon) = (Some(95.0), Some(0.0)),
                "location.lat",
            ),
            (|d| d.location.uprn = Some("12ab".into()), "location.uprn"),
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

    fn at(lat: f64, lon: f64) -> Coordinates {
        Coordinates { lat, lon }
    }

    fn handset(radius: u32) -> HandsetLocation {
        HandsetLocation {
            position: at(53.80, -1.54),
            radius_metres: radius,
            source: "AML".into(),
            located_at: now(),
        }
    }

    #[test]
    fn the_position_comes_from_the_most_trusted_source_and_says_which() {
        let door = GazetteerFix {
            position: at(53.8135, -1.5004),
            precision: Precision::ExactAddress,
        };
        let phone = handset(40);
        assert_eq!(
            place(Some(door), None, Some(&phone)),
            (Some(door.position), Precision::ExactAddress),
            "an address beats the handset"
        );
        assert_eq!(
            place(Some(door), Some(door.position), None),
            (Some(door.position), Precision::ExactAddress),
            "a pin on the door is the door"
        );
        assert_eq!(
            place(Some(door), Some(at(53.8140, -1.5004)), None),
            (Some(at(53.8140, -1.5004)), Precision::MapPin),
            "a pin moved off the address is a pin"
        );
        assert_eq!(
            place(None, Some(at(53.7, -1.5)), Some(&phone)),
            (Some(at(53.7, -1.5)), Precision::MapPin)
        );
        assert_eq!(
            place(None, None, Some(&phone)),
            (
                Some(phone.position),
                Precision::Handset { radius_metres: 40 }
            ),
            "a handset-only call is still placed"
        );
        assert_eq!(place(None, None, None), (None, Precision::CallersWords));
    }

    #[test]
    fn a_handset_location_is_checked_and_kept_beside_the_address() {
        let mut d = draft();
        d.location.uprn = Some("72001240".into());
        d.location.fix = Some(GazetteerFix {
            position: at(53.82, -1.5),
            precision: Precision::ExactAddress,
        });
        d.location.handset = Some(HandsetDraft {
            lat: 53.8201,
            lon: -1.5002,
            radius_metres: 24.2,
            source: None,
            located_at: None,
        });
        let c = d
            .into_contact(ContactId(Uuid::nil()), handler(), now())
            .unwrap();
        assert_eq!(c.location.precision(), Precision::ExactAddress);
        assert_eq!(c.location.coordinates, Some(at(53.82, -1.5)));
        let h = c.location.handset.unwrap();
        assert_eq!((h.radius_metres, h.source.as_str()), (25, "AML"));
        assert_eq!(h.located_at, now(), "located when received, unless told");

        type Spoil = fn(&mut HandsetDraft);
        let cases: Vec<(Spoil, &str)> = vec![
            (|h| h.lat = 91.0, "location.handset"),
            (|h| h.radius_metres = 0.0, "location.handset.radius_metres"),
            (
                |h| h.radius_metres = f64::NAN,
                "location.handset.radius_metres",
            ),
            (
                |h| h.radius_metres = 60_000.0,
                "location.handset.radius_metres",
            ),
            (
                |h| h.source = Some("x".repeat(49)),
                "location.handset.source",
            ),
            (
                |h| h.located_at = Some(now() + SignedDuration::from_hours(1)),
                "location.handset.located_at",
            ),
        ];
        for (spoil, field) in cases {
            let mut h = HandsetDraft {
                lat: 53.8,
                lon: -1.5,
                radius_metres: 50.0,
                ..HandsetDraft::default()
            };
            spoil(&mut h);
            let mut d = draft();
            d.location.handset = Some(h);
            let err = d
                .into_contact(ContactId(Uuid::nil()), handler(), now())
                .unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn older_contacts_read_their_precision_from_their_fields() {
        let mut location = draft()
            .into_contact(ContactId(Uuid::nil()), handler(), now())
            .unwrap()
            .location;
        assert_eq!(location.precision(), Precision::CallersWords);
        location.precision = None;
        location.coordinates = Some(at(53.8, -1.5));
        assert_eq!(location.precision(), Precision::MapPin);
        location.uprn = Some(Uprn::parse("72001240").unwrap());
        assert_eq!(location.precision(), Precision::ExactAddress);
        let old = r#"{"text":"x","coordinates":null,"uprn":null}"#;
        let read: Location = serde_json::from_str(old).unwrap();
        assert_eq!(read.precision, None);
        assert_eq!(read.handset, None);
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
