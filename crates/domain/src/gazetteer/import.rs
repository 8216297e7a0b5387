//! The published file layouts a force loads its gazetteer from, parsed one line at a time.
//! A line is a record, nothing (a header, a blank line), a record deliberately left out with
//! the reason (a terminated postcode), or refused with the reason; a refused line never stops
//! the lines after it.
//!
//! Layouts (column names and order as published):
//! - OS AddressBase Plus CSV: 77 columns, UPRN … ALT_LANGUAGE, supplied without a header row
//!   (the header is a separate file). Source: Ordnance Survey, "AddressBase Plus technical
//!   specification", feature type BLPU/Address, CSV attribute names and order
//!   (https://docs.os.uk/os-downloads/addressing-and-location/addressbase-plus). A file that
//!   starts with the header row is read by its names instead.
//! - OS Open UPRN CSV: `UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE`, with a header row.
//!   Source: "OS Open UPRN technical specification", feature type OS Open UPRN
//!   (https://docs.os.uk/os-downloads/identifiers/os-open-uprn/os-open-uprn-technical-specification/feature-type/os-open-uprn).
//! - ONS Postcode Directory (ONSPD) CSV, with a header row whose columns change between
//!   releases, so it is read by name: the postcode (`pcds`, else `pcd`/`pcd2`), `doterm`
//!   (terminated postcodes are left out), `lat`/`long` (99.999999 when the postcode has no
//!   grid reference), else `oseast1m`/`osnrth1m`. Source: ONS, "ONS Postcode Directory User
//!   Guide" (ONS Open Geography Portal), record layout.
//! - OS Open Names CSV: 34 columns `ID,NAMES_URI,NAME1,NAME1_LANG,NAME2,NAME2_LANG,TYPE,
//!   LOCAL_TYPE,GEOMETRY_X,GEOMETRY_Y,…,SAME_AS_GEONAMES`, supplied without a header row
//!   (`OS_Open_Names_Header.csv` is separate). Source: "OS Open Names technical
//!   specification", feature type NamedPlace
//!   (https://docs.os.uk/os-downloads/addressing-and-location/os-open-names/os-open-names-technical-specification/feature-type/namedplace).

use super::{
    Address, AddressParts, Classification, Extent, NamedPlace, Position, PostcodeCentroid, Street,
    Uprn, Usrn, single_line, title_case,
};
use crate::pole::Postcode;
use crate::text::Invalid;
use std::collections::HashMap;

/// The layouts `controlroom gazetteer import --format` reads: the four published ones, and
/// the force's own list of named places and the names callers use for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    AddressBasePlus,
    OpenUprn,
    Onspd,
    OpenNames,
    /// The force's own places and aliases (`ID,NAME,ALIASES,KIND,LOCALITY,POSTCODE_DISTRICT,
    /// LAT,LON` or `EASTING,NORTHING`; aliases separated by `;`). A row with the id of a place
    /// already held (an Open Names id) replaces it, so a force adds "the Co-op on Roundhay
    /// Road" to what Ordnance Survey calls it.
    ForcePlaces,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::AddressBasePlus,
        Format::OpenUprn,
        Format::Onspd,
        Format::OpenNames,
        Format::ForcePlaces,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AddressBasePlus => "addressbase-plus",
            Self::OpenUprn => "open-uprn",
            Self::Onspd => "onspd",
            Self::OpenNames => "open-names",
            Self::ForcePlaces => "force-places",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "format",
                    format!(
                        "'{raw}' is not a gazetteer format; use addressbase-plus, open-uprn, onspd, open-names or force-places"
                    ),
                )
            })
    }

    /// The published column order, for files supplied without a header row.
    fn published_columns(self) -> &'static [&'static str] {
        match self {
            Self::AddressBasePlus => ADDRESSBASE_PLUS_COLUMNS,
            Self::OpenUprn => OPEN_UPRN_COLUMNS,
            Self::Onspd | Self::ForcePlaces => &[],
            Self::OpenNames => OPEN_NAMES_COLUMNS,
        }
    }

    /// The name of the first column of a header row.
    fn header_starts_with(self) -> &'static [&'static str] {
        match self {
            Self::AddressBasePlus | Self::OpenUprn => &["UPRN"],
            Self::Onspd => &["PCD", "PCD7", "PCDS", "PCD2", "PCD8"],
            Self::OpenNames | Self::ForcePlaces => &["ID"],
        }
    }
}

pub const ADDRESSBASE_PLUS_COLUMNS: &[&str] = &[
    "UPRN",
    "UDPRN",
    "CHANGE_TYPE",
    "STATE",
    "STATE_DATE",
    "CLASS",
    "PARENT_UPRN",
    "X_COORDINATE",
    "Y_COORDINATE",
    "LATITUDE",
    "LONGITUDE",
    "RPC",
    "LOCAL_CUSTODIAN_CODE",
    "COUNTRY",
    "LA_START_DATE",
    "LAST_UPDATE_DATE",
    "ENTRY_DATE",
    "RM_ORGANISATION_NAME",
    "LA_ORGANISATION",
    "DEPARTMENT_NAME",
    "LEGAL_NAME",
    "SUB_BUILDING_NAME",
    "BUILDING_NAME",
    "BUILDING_NUMBER",
    "SAO_START_NUMBER",
    "SAO_START_SUFFIX",
    "SAO_END_NUMBER",
    "SAO_END_SUFFIX",
    "SAO_TEXT",
    "ALT_LANGUAGE_SAO_TEXT",
    "PAO_START_NUMBER",
    "PAO_START_SUFFIX",
    "PAO_END_NUMBER",
    "PAO_END_SUFFIX",
    "PAO_TEXT",
    "ALT_LANGUAGE_PAO_TEXT",
    "USRN",
    "USRN_MATCH_INDICATOR",
    "AREA_NAME",
    "LEVEL",
    "OFFICIAL_FLAG",
    "OS_ADDRESS_TOID",
    "OS_ADDRESS_TOID_VERSION",
    "OS_ROADLINK_TOID",
    "OS_ROADLINK_TOID_VERSION",
    "OS_TOPO_TOID",
    "OS_TOPO_TOID_VERSION",
    "VOA_CT_RECORD",
    "VOA_NDR_RECORD",
    "STREET_DESCRIPTION",
    "ALT_LANGUAGE_STREET_DESCRIPTION",
    "DEPENDENT_THOROUGHFARE",
    "THOROUGHFARE",
    "WELSH_DEPENDENT_THOROUGHFARE",
    "WELSH_THOROUGHFARE",
    "DOUBLE_DEPENDENT_LOCALITY",
    "DEPENDENT_LOCALITY",
    "LOCALITY",
    "WELSH_DEPENDENT_LOCALITY",
    "WELSH_DOUBLE_DEPENDENT_LOCALITY",
    "TOWN_NAME",
    "ADMINISTRATIVE_AREA",
    "POST_TOWN",
    "WELSH_POST_TOWN",
    "POSTCODE",
    "POSTCODE_LOCATOR",
    "POSTCODE_TYPE",
    "DELIVERY_POINT_SUFFIX",
    "ADDRESSBASE_POSTAL",
    "PO_BOX_NUMBER",
    "WARD_CODE",
    "PARISH_CODE",
    "RM_START_DATE",
    "MULTI_OCC_COUNT",
    "VOA_NDR_P_DESC_CODE",
    "VOA_NDR_SCAT_CODE",
    "ALT_LANGUAGE",
];

pub const OPEN_UPRN_COLUMNS: &[&str] = &[
    "UPRN",
    "X_COORDINATE",
    "Y_COORDINATE",
    "LATITUDE",
    "LONGITUDE",
];

pub const OPEN_NAMES_COLUMNS: &[&str] = &[
    "ID",
    "NAMES_URI",
    "NAME1",
    "NAME1_LANG",
    "NAME2",
    "NAME2_LANG",
    "TYPE",
    "LOCAL_TYPE",
    "GEOMETRY_X",
    "GEOMETRY_Y",
    "MOST_DETAIL_VIEW_RES",
    "LEAST_DETAIL_VIEW_RES",
    "MBR_XMIN",
    "MBR_YMIN",
    "MBR_XMAX",
    "MBR_YMAX",
    "POSTCODE_DISTRICT",
    "POSTCODE_DISTRICT_URI",
    "POPULATED_PLACE",
    "POPULATED_PLACE_URI",
    "POPULATED_PLACE_TYPE",
    "DISTRICT_BOROUGH",
    "DISTRICT_BOROUGH_URI",
    "DISTRICT_BOROUGH_TYPE",
    "COUNTY_UNITARY",
    "COUNTY_UNITARY_URI",
    "COUNTY_UNITARY_TYPE",
    "REGION",
    "REGION_URI",
    "COUNTRY",
    "COUNTRY_URI",
    "RELATED_SPATIAL_OBJECT",
    "SAME_AS_DBPEDIA",
    "SAME_AS_GEONAMES",
];

/// One gazetteer record read from a line.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Address(Address),
    /// OS Open UPRN: where a UPRN is, with no address.
    UprnPosition {
        uprn: Uprn,
        position: Position,
    },
    Street(Street),
    Place(NamedPlace),
    Postcode(PostcodeCentroid),
}

/// What one line held. (Not boxed: one line is read at a time, and a record is moved on at once.)
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Line {
    Record(Record),
    /// A header row or a blank line.
    Nothing,
    /// Deliberately not imported, with the reason ("terminated postcode").
    Skipped(&'static str),
}

/// Longest text field accepted (AddressBase's longest is 100; Open Names' 250).
const MAX_FIELD: usize = 250;

/// Split one CSV line (RFC 4180 quoting: fields in double quotes, `""` for a quote), read by
/// the `csv` crate. Files are read a line at a time (so each refusal names its line), which
/// makes a quoted field that runs past the end of the line an error: such a line always has
/// an odd number of quotes, since a closed field and each `""` inside one add two.
pub fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.bytes().filter(|&b| b == b'"').count() % 2 == 1 {
        return Err("a quoted field is not closed (missing \")".into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(str::to_owned).collect()),
        // An empty line is one empty field, as before.
        Ok(false) => Ok(vec![String::new()]),
        Err(e) => Err(format!("cannot be read as CSV: {e}")),
    }
}

/// Reads the lines of one file in one layout, remembering its header.
#[derive(Debug, Clone)]
pub struct FileParser {
    format: Format,
    columns: Option<HashMap<String, usize>>,
    width: usize,
}

/// The fields of one line, by column name.
struct Row<'a> {
    fields: &'a [String],
    columns: &'a HashMap<String, usize>,
}

impl Row<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.columns
            .get(name)
            .and_then(|&i| self.fields.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn text(&self, name: &str) -> Result<Option<String>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(s) if s.chars().count() > MAX_FIELD => {
                Err(format!("{name} is longer than {MAX_FIELD} characters"))
            }
            Some(s) if s.chars().any(char::is_control) => {
                Err(format!("{name} holds control characters"))
            }
            Some(s) => Ok(Some(s.to_owned())),
        }
    }

    fn number(&self, name: &str) -> Result<Option<f64>, String> {
        self.get(name)
            .map(|s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| format!("{name} '{s}' is not a number"))
            })
            .transpose()
    }

    /// The position from latitude and longitude columns when both are given and inside the
    /// UK, else from the National Grid columns.
    fn position(&self, lat: &str, lon: &str, x: &str, y: &str) -> Result<Position, String> {
        if let (Some(la), Some(lo)) = (self.number(lat)?, self.number(lon)?)
            && let Ok(p) = Position::wgs84(la, lo)
        {
            return Ok(p);
        }
        match (self.number(x)?, self.number(y)?) {
            (Some(e), Some(n)) => Position::from_grid(e, n).map_err(|e| e.message),
            _ => match (self.number(lat)?, self.number(lon)?) {
                (Some(la), Some(lo)) => Position::wgs84(la, lo).map_err(|e| e.message),
                _ => Err(format!("no position: {x}/{y} (or {lat}/{lon}) are empty")),
            },
        }
    }
}

fn upper_names(fields: &[String]) -> HashMap<String, usize> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                f.trim().trim_start_matches('\u{feff}').to_ascii_uppercase(),
                i,
            )
        })
        .collect()
}

impl FileParser {
    pub fn new(format: Format) -> Self {
        let published = format.published_columns();
        let columns = (!published.is_empty()).then(|| {
            published
                .iter()
                .enumerate()
                .map(|(i, name)| ((*name).to_owned(), i))
                .collect()
        });
        Self {
            format,
            columns,
            width: published.len(),
        }
    }

    /// Read line `number` (1-based) of the file. `Err` is the reason the line is refused.
    pub fn line(&mut self, number: u64, text: &str) -> Result<Line, String> {
        let text = if number == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        if text.trim().is_empty() {
            return Ok(Line::Nothing);
        }
        let fields = split_csv(text)?;
        let first = fields
            .first()
            .map(|f| f.trim().to_ascii_uppercase())
            .unwrap_or_default();
        if self.format.header_starts_with().contains(&first.as_str()) {
            self.columns = Some(upper_names(&fields));
            self.width = fields.len();
            return self.check_header().map(|()| Line::Nothing);
        }
        let Some(columns) = &self.columns else {
            return Err(
                "no header row before the data: an ONS Postcode Directory file starts with its column names (pcd, pcd2, pcds, …)"
                    .to_owned(),
            );
        };
        if fields.len() != self.width {
            return Err(format!(
                "has {} fields; this {} layout has {}",
                fields.len(),
                self.format.as_str(),
                self.width
            ));
        }
        let row = Row {
            fields: &fields,
            columns,
        };
        match self.format {
            Format::AddressBasePlus => address_base_plus(&row),
            Format::OpenUprn => open_uprn(&row),
            Format::Onspd => onspd(&row),
            Format::OpenNames => open_names(&row),
            Format::ForcePlaces => force_place(&row),
        }
    }

    fn check_header(&self) -> Result<(), String> {
        let Some(columns) = &self.columns else {
            return Ok(());
        };
        let needed: &[&[&str]] = match self.format {
            Format::AddressBasePlus => &[&["UPRN"], &["X_COORDINATE"], &["Y_COORDINATE"]],
            Format::OpenUprn => &[&["UPRN"], &["X_COORDINATE"], &["Y_COORDINATE"]],
            Format::Onspd => &[
                &["PCDS", "PCD", "PCD2", "PCD7", "PCD8"],
                &["LAT"],
                &["LONG"],
            ],
            Format::OpenNames => &[&["ID"], &["NAME1"], &["LOCAL_TYPE"], &["GEOMETRY_X"]],
            Format::ForcePlaces => &[&["ID"], &["NAME"], &["KIND"], &["LAT", "EASTING"]],
        };
        for alternatives in needed {
            if !alternatives.iter().any(|c| columns.contains_key(*c)) {
                return Err(format!(
                    "the header has no {} column: not an {} file",
                    alternatives.join("/"),
                    self.format.as_str()
                ));
            }
        }
        Ok(())
    }
}

fn number_range(
    start: Option<&str>,
    suffix: Option<&str>,
    end: Option<&str>,
    end_suffix: Option<&str>,
) -> Option<String> {
    let start = start?;
    let mut out = format!("{start}{}", suffix.unwrap_or(""));
    if let Some(end) = end {
        out.push_str(&format!("-{end}{}", end_suffix.unwrap_or("")));
    }
    Some(out)
}

fn address_base_plus(row: &Row<'_>) -> Result<Line, String> {
    let uprn = Uprn::parse(row.get("UPRN").unwrap_or("")).map_err(|e| e.message)?;
    if row.get("CHANGE_TYPE") == Some("D") {
        return Ok(Line::Skipped(
            "deletion in a change-only update (not applied)",
        ));
    }
    // STATE 4: the property no longer exists.
    if row.get("STATE") == Some("4") {
        return Ok(Line::Skipped("the property no longer exists (state 4)"));
    }
    let position = row.position("LATITUDE", "LONGITUDE", "X_COORDINATE", "Y_COORDINATE")?;
    let classification = Classification::from_code(row.get("CLASS").unwrap_or(""));
    let organisation = row
        .text("RM_ORGANISATION_NAME")?
        .or(row.text("LA_ORGANISATION")?);
    // The Royal Mail (postal) parts when present, else the local authority's (SAO/PAO).
    let sao = match row.text("SUB_BUILDING_NAME")? {
        Some(s) => Some(s),
        None => {
            let numbers = number_range(
                row.get("SAO_START_NUMBER"),
                row.get("SAO_START_SUFFIX"),
                row.get("SAO_END_NUMBER"),
                row.get("SAO_END_SUFFIX"),
            );
            match (row.text("SAO_TEXT")?, numbers) {
                (Some(t), Some(n)) => Some(format!("{t} {n}")),
                (Some(t), None) => Some(t),
                (None, Some(n)) if classification == Classification::Residential => {
                    Some(format!("Flat {n}"))
                }
                (None, Some(n)) => Some(format!("Unit {n}")),
                (None, None) => None,
            }
        }
    };
    let building_name = row.text("BUILDING_NAME")?.or(row.text("PAO_TEXT")?);
    let number = row.text("BUILDING_NUMBER")?.or_else(|| {
        number_range(
            row.get("PAO_START_NUMBER"),
            row.get("PAO_START_SUFFIX"),
            row.get("PAO_END_NUMBER"),
            row.get("PAO_END_SUFFIX"),
        )
    });
    let street = match (
        row.text("DEPENDENT_THOROUGHFARE")?,
        row.text("THOROUGHFARE")?,
    ) {
        (Some(d), Some(t)) => Some(format!("{d}, {t}")),
        (d, t) => t.or(d).or(row.text("STREET_DESCRIPTION")?),
    };
    let locality = row.text("DEPENDENT_LOCALITY")?.or(row.text("LOCALITY")?);
    let town = row.text("POST_TOWN")?.or(row.text("TOWN_NAME")?);
    let postcode = match row.get("POSTCODE").or(row.get("POSTCODE_LOCATOR")) {
        Some(pc) => Some(Postcode::parse("POSTCODE", pc).map_err(|e| e.message)?),
        None => None,
    };
    let usrn = row
        .get("USRN")
        .map(Usrn::parse)
        .transpose()
        .map_err(|e| e.message)?;
    let title = |s: &Option<String>| s.as_deref().map(title_case);
    let building = match (&sao, &building_name) {
        (Some(s), Some(b)) => Some(format!("{}, {}", title_case(s), title_case(b))),
        _ => title(&sao).or(title(&building_name)),
    };
    let line = single_line(&AddressParts {
        organisation: organisation.as_deref(),
        sub_building: sao.as_deref(),
        building: building_name.as_deref(),
        number: number.as_deref(),
        street: street.as_deref(),
        locality: locality.as_deref(),
        town: town.as_deref(),
        postcode: postcode.as_ref().map(Postcode::as_str),
    });
    if street.is_none() && building.is_none() && organisation.is_none() {
        return Err("no street, building or organisation: nothing to call the address by".into());
    }
    Ok(Line::Record(Record::Address(Address {
        uprn,
        single_line: line,
        organisation: title(&organisation),
        building,
        number,
        street: title(&street),
        locality: title(&locality),
        town: title(&town),
        postcode,
        classification,
        usrn,
        position,
    })))
}

fn open_uprn(row: &Row<'_>) -> Result<Line, String> {
    let uprn = Uprn::parse(row.get("UPRN").unwrap_or("")).map_err(|e| e.message)?;
    let position = row.position("LATITUDE", "LONGITUDE", "X_COORDINATE", "Y_COORDINATE")?;
    Ok(Line::Record(Record::UprnPosition { uprn, position }))
}

fn onspd(row: &Row<'_>) -> Result<Line, String> {
    let raw = ["PCDS", "PCD", "PCD2", "PCD7", "PCD8"]
        .iter()
        .find_map(|c| row.get(c))
        .ok_or("the postcode is empty")?;
    if row.get("DOTERM").is_some() {
        return Ok(Line::Skipped("terminated postcode"));
    }
    // No grid reference: ONSPD writes 99.999999 / 0.000000 and grid quality 9.
    if row.get("OSGRDIND") == Some("9") || row.number("LAT")? == Some(99.999_999) {
        return Ok(Line::Skipped("postcode without a grid reference"));
    }
    let easting = ["OSEAST1M", "EAST1M"].iter().find(|c| row.get(c).is_some());
    let northing = ["OSNRTH1M", "NORTH1M"]
        .iter()
        .find(|c| row.get(c).is_some());
    let position = row.position(
        "LAT",
        "LONG",
        easting.copied().unwrap_or("OSEAST1M"),
        northing.copied().unwrap_or("OSNRTH1M"),
    )?;
    PostcodeCentroid::new(raw, position)
        .map(|p| Line::Record(Record::Postcode(p)))
        .map_err(|e| e.message)
}

fn open_names(row: &Row<'_>) -> Result<Line, String> {
    let id = row.text("ID")?.ok_or("ID is empty")?;
    let name = row.text("NAME1")?.ok_or("NAME1 is empty")?;
    let local_type = row.text("LOCAL_TYPE")?.ok_or("LOCAL_TYPE is empty")?;
    let point = match (row.number("GEOMETRY_X")?, row.number("GEOMETRY_Y")?) {
        (Some(e), Some(n)) => Position::from_grid(e, n).map_err(|e| e.message)?,
        _ => return Err("GEOMETRY_X/GEOMETRY_Y are empty".into()),
    };
    let locality = row.text("POPULATED_PLACE")?;
    let borough = row
        .text("DISTRICT_BOROUGH")?
        .or(row.text("COUNTY_UNITARY")?);
    match local_type.as_str() {
        "Postcode" => PostcodeCentroid::new(&name, point)
            .map(|p| Line::Record(Record::Postcode(p)))
            .map_err(|e| e.message),
        "Named Road" | "Section Of Named Road" => {
            let extent = match (
                row.number("MBR_XMIN")?,
                row.number("MBR_YMIN")?,
                row.number("MBR_XMAX")?,
                row.number("MBR_YMAX")?,
            ) {
                (Some(x0), Some(y0), Some(x1), Some(y1)) => Some(Extent {
                    min: Position::from_grid(x0, y0).map_err(|e| e.message)?,
                    max: Position::from_grid(x1, y1).map_err(|e| e.message)?,
                }),
                _ => None,
            };
            Ok(Line::Record(Record::Street(Street {
                id,
                usrn: None,
                name,
                locality,
                town: borough,
                point,
                extent,
            })))
        }
        _ => Ok(Line::Record(Record::Place(NamedPlace {
            id,
            aliases: row.text("NAME2")?.into_iter().collect(),
            name,
            kind: local_type,
            locality: locality.or(borough),
            postcode_district: row.text("POSTCODE_DISTRICT")?,
            position: point,
        }))),
    }
}

/// Aliases a force adds to one place, at most.
const MAX_ALIASES: usize = 20;

fn force_place(row: &Row<'_>) -> Result<Line, String> {
    let id = row.text("ID")?.ok_or("ID is empty")?;
    if id.chars().count() > 64 || id.chars().any(char::is_whitespace) {
        return Err(format!(
            "ID '{id}' must be one word of at most 64 characters"
        ));
    }
    let name = row.text("NAME")?.ok_or("NAME is empty")?;
    let kind = row
        .text("KIND")?
        .ok_or("KIND is empty (Park, Pub, Shop…)")?;
    let aliases: Vec<String> = row
        .text("ALIASES")?
        .map(|all| {
            all.split(';')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if aliases.len() > MAX_ALIASES {
        return Err(format!(
            "{} aliases; at most {MAX_ALIASES} for one place",
            aliases.len()
        ));
    }
    let position = row.position("LAT", "LON", "EASTING", "NORTHING")?;
    Ok(Line::Record(Record::Place(NamedPlace {
        id,
        name,
        aliases,
        kind,
        locality: row.text("LOCALITY")?,
        postcode_district: row.text("POSTCODE_DISTRICT")?,
        position,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_split_with_quotes() {
        assert_eq!(
            split_csv(r#"1,"a, b","say ""hi""",,x"#).unwrap(),
            vec!["1", "a, b", r#"say "hi""#, "", "x"]
        );
        assert_eq!(split_csv("a,b\r\n").unwrap(), vec!["a", "b"]);
        assert!(split_csv(r#"1,"open"#).is_err());
    }

    #[test]
    fn formats_have_names() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()).unwrap(), f);
        }
        assert!(Format::parse("shapefile").is_err());
        assert_eq!(ADDRESSBASE_PLUS_COLUMNS.len(), 77);
        assert_eq!(OPEN_NAMES_COLUMNS.len(), 34);
    }

    #[test]
    fn onspd_needs_its_header() {
        let mut parser = FileParser::new(Format::Onspd);
        let refused = parser.line(1, r#""LS1 1UR","LS1  1UR""#).unwrap_err();
        assert!(refused.contains("no header row"), "{refused}");
        let refused = parser.line(1, "pcd,pcd2,pcds,dointr").unwrap_err();
        assert!(refused.contains("no LAT column"), "{refused}");
    }
}
