//! The gazetteer: every place a call can be placed. Addresses (by UPRN), streets (by USRN, or
//! the road's own identifier in OS Open Names), named places with the aliases callers use,
//! and postcode centroids; each with a WGS84 position inside the United Kingdom. Where a
//! location came from decides how far it can be trusted: [`Precision`].
//!
//! Pure: the import formats are parsed here line by line ([`import`]), the files are read
//! and the rows stored by the application layer.

pub mod grid;
pub mod import;

use crate::pole::Postcode;
use crate::text::Invalid;
use serde::{Deserialize, Serialize};

/// Unique Property Reference Number: up to 12 digits, never 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Uprn(i64);

/// Unique Street Reference Number: up to 8 digits, never 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Usrn(i64);

fn reference_number(field: &str, raw: &str, digits: usize) -> Result<i64, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > digits || !raw.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::new(
            field,
            format!("'{raw}' is not a {field} (1 to {digits} digits)"),
        ));
    }
    match raw.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Invalid::new(field, format!("'{raw}' is not a {field}"))),
    }
}

impl Uprn {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        reference_number("UPRN", raw, 12).map(Self)
    }

    pub fn from_i64(n: i64) -> Result<Self, Invalid> {
        Self::parse(&n.to_string())
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Uprn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Usrn {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        reference_number("USRN", raw, 8).map(Self)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Usrn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The United Kingdom with its islands (Scilly to Shetland, Northern Ireland to Lowestoft),
/// as a box in WGS84 degrees. Anything outside is a mistake in the data, not a place to send
/// a unit.
pub const UK_LAT: (f64, f64) = (49.8, 60.95);
pub const UK_LON: (f64, f64) = (-8.75, 1.8);

/// A WGS84 position inside the United Kingdom.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

impl Position {
    /// Refuses coordinates that are not numbers or lie outside the UK.
    pub fn wgs84(lat: f64, lon: f64) -> Result<Self, Invalid> {
        if !lat.is_finite()
            || !lon.is_finite()
            || !(UK_LAT.0..=UK_LAT.1).contains(&lat)
            || !(UK_LON.0..=UK_LON.1).contains(&lon)
        {
            return Err(Invalid::new(
                "position",
                format!("{lat}, {lon} is outside the United Kingdom"),
            ));
        }
        Ok(Self { lat, lon })
    }

    /// A British National Grid position (OSGB36 eastings and northings, metres).
    pub fn from_grid(easting: f64, northing: f64) -> Result<Self, Invalid> {
        let (lat, lon) = grid::grid_to_wgs84(easting, northing)?;
        Self::wgs84(lat, lon)
    }
}

/// A rectangle in WGS84 degrees: a street's or a place's extent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Extent {
    pub min: Position,
    pub max: Position,
}

/// What kind of property an address is, from the AddressBase classification code's first
/// letter (R residential, C commercial; everything else, and unknown, other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Classification {
    Residential,
    Commercial,
    Other,
}

impl Classification {
    pub fn from_code(code: &str) -> Self {
        match code.trim().chars().next().map(|c| c.to_ascii_uppercase()) {
            Some('R') => Self::Residential,
            Some('C') => Self::Commercial,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "residential" => Ok(Self::Residential),
            "commercial" => Ok(Self::Commercial),
            "other" => Ok(Self::Other),
            _ => Err(Invalid::new(
                "classification",
                format!("'{raw}' is not residential, commercial or other"),
            )),
        }
    }
}

/// How precisely a location is known: what the handler and the dispatcher must be told. (The
/// issue names six; a named place is a seventh, because "Roundhay Park" is neither an exact
/// address nor a street.)
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Precision {
    /// A gazetteer address (UPRN): the front door.
    ExactAddress,
    /// Somewhere on a street: its representative point.
    Street,
    /// The centroid of a postcode (about 15 addresses; up to 100).
    Postcode,
    /// A named place's point (a pub's door, or the middle of a park).
    NamedPlace,
    /// A pin the handler dropped or dragged on the map.
    MapPin,
    /// The network's location of the caller's handset (AML), within a radius.
    Handset { radius_metres: u32 },
    /// Only what the caller said: no position.
    CallersWords,
}

impl Precision {
    /// In words for the console ("exact address", "handset location within 50 m").
    pub fn describe(self) -> String {
        match self {
            Self::ExactAddress => "exact address".into(),
            Self::Street => "street".into(),
            Self::Postcode => "postcode".into(),
            Self::NamedPlace => "named place".into(),
            Self::MapPin => "map pin".into(),
            Self::Handset { radius_metres } => {
                format!("handset location within {radius_metres} m")
            }
            Self::CallersWords => "caller's words only".into(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExactAddress => "exact_address",
            Self::Street => "street",
            Self::Postcode => "postcode",
            Self::NamedPlace => "named_place",
            Self::MapPin => "map_pin",
            Self::Handset { .. } => "handset",
            Self::CallersWords => "callers_words",
        }
    }
}

/// One property with its UPRN. `single_line` is empty when only the position is known (OS
/// Open UPRN holds positions, not addresses): such an address places a UPRN found elsewhere
/// (an intelligence record, a handset), but cannot be searched for by words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub uprn: Uprn,
    pub single_line: String,
    /// Organisation or business name.
    pub organisation: Option<String>,
    /// Flat, unit or building name ("Flat 2", "Rose Cottage").
    pub building: Option<String>,
    /// Street number, with any suffix or range ("10", "10A", "10-12").
    pub number: Option<String>,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<Postcode>,
    pub classification: Classification,
    pub usrn: Option<Usrn>,
    pub position: Position,
}

/// A street: by USRN (derived from its addresses) or by the road's OS Open Names id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Street {
    /// `usrn:12345678` or the Open Names identifier.
    pub id: String,
    pub usrn: Option<Usrn>,
    pub name: String,
    pub locality: Option<String>,
    pub town: Option<String>,
    /// Where to send someone for "somewhere on this street".
    pub point: Position,
    pub extent: Option<Extent>,
}

/// A named place: a landmark, park, pub, station, settlement or suburb, with the other names
/// callers use for it ("the Co-op on Roundhay Road").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedPlace {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// What it is ("Park", "Railway Station", "Suburban Area").
    pub kind: String,
    pub locality: Option<String>,
    pub postcode_district: Option<String>,
    pub position: Position,
}

/// A postcode and its centroid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostcodeCentroid {
    pub postcode: Postcode,
    pub position: Position,
}

impl PostcodeCentroid {
    pub fn new(raw: &str, position: Position) -> Result<Self, Invalid> {
        Ok(Self {
            postcode: Postcode::parse("postcode", raw)?,
            position,
        })
    }
}

/// An address's one-line form from its parts, in the usual order: organisation, flat or
/// building, number and street, locality, town, postcode. Empty parts are left out, and a
/// building name that repeats the organisation is written once.
pub fn single_line(parts: &AddressParts<'_>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: Option<&str>| {
        if let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) {
            let s = title_case(s);
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&s)) {
                out.push(s);
            }
        }
    };
    push(parts.organisation);
    push(parts.sub_building);
    push(parts.building);
    let street = match (
        parts.number.map(str::trim).filter(|s| !s.is_empty()),
        parts.street.map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(n), Some(s)) => Some(format!("{n} {s}")),
        (Some(n), None) => Some(n.to_owned()),
        (None, s) => s.map(str::to_owned),
    };
    push(street.as_deref());
    push(parts.locality);
    push(parts.town);
    let mut line = out.join(", ");
    if let Some(pc) = parts.postcode.filter(|p| !p.is_empty()) {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(pc);
    }
    line
}

/// The parts [`single_line`] joins.
#[derive(Debug, Default, Clone, Copy)]
pub struct AddressParts<'a> {
    pub organisation: Option<&'a str>,
    pub sub_building: Option<&'a str>,
    pub building: Option<&'a str>,
    pub number: Option<&'a str>,
    pub street: Option<&'a str>,
    pub locality: Option<&'a str>,
    pub town: Option<&'a str>,
    pub postcode: Option<&'a str>,
}

/// `HAREHILLS LANE` → `Harehills Lane`; mixed case is kept as written. Words such as "10A"
/// keep their capitals.
pub fn title_case(raw: &str) -> String {
    if raw.chars().any(char::is_lowercase) {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut start = true;
    let mut numbered = false;
    for c in raw.chars() {
        if start {
            numbered = c.is_ascii_digit();
            out.extend(c.to_uppercase());
        } else if numbered {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, ' ' | '-' | '(' | '/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_numbers_are_digits_and_not_zero() {
        assert_eq!(
            Uprn::parse(" 100023336956 ").unwrap().get(),
            100_023_336_956
        );
        for bad in ["", "0", "abc", "1234567890123", "-5", "12.5"] {
            assert!(Uprn::parse(bad).is_err(), "{bad}");
        }
        assert!(Usrn::parse("123456789").is_err());
        assert_eq!(Usrn::parse("14200345").unwrap().to_string(), "14200345");
    }

    #[test]
    fn positions_outside_the_uk_are_refused() {
        assert!(Position::wgs84(53.8, -1.55).is_ok());
        for (lat, lon) in [
            (48.85, 2.35),
            (40.7, -74.0),
            (0.0, 0.0),
            (f64::NAN, -1.5),
            (61.5, -1.0),
        ] {
            assert!(Position::wgs84(lat, lon).is_err(), "{lat} {lon}");
        }
    }

    #[test]
    fn single_lines_read_as_a_person_writes_them() {
        let flat = AddressParts {
            sub_building: Some("FLAT 2"),
            number: Some("10"),
            street: Some("HAREHILLS LANE"),
            town: Some("LEEDS"),
            postcode: Some("LS8 3AA"),
            ..AddressParts::default()
        };
        assert_eq!(
            single_line(&flat),
            "Flat 2, 10 Harehills Lane, Leeds LS8 3AA"
        );
        let line = single_line(&AddressParts {
            organisation: Some("The Fforde Grene"),
            building: Some("THE FFORDE GRENE"),
            number: Some("21A"),
            street: Some("Roundhay Road"),
            ..AddressParts::default()
        });
        assert_eq!(line, "The Fforde Grene, 21A Roundhay Road");
    }

    #[test]
    fn precision_is_said_in_words() {
        assert_eq!(
            Precision::Handset { radius_metres: 50 }.describe(),
            "handset location within 50 m"
        );
        assert_eq!(Precision::CallersWords.describe(), "caller's words only");
        assert_eq!(
            Classification::from_code("RD04"),
            Classification::Residential
        );
        assert_eq!(
            Classification::from_code("CR08"),
            Classification::Commercial
        );
        assert_eq!(Classification::from_code(""), Classification::Other);
    }
}
