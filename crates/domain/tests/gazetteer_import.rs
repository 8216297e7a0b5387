//! Each import layout read from a small file written by hand in the published layout
//! (`tests/data/gazetteer/`): good rows become records, bad rows are refused with their line
//! and reason, and the lines after a bad one are still read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use controlroom_domain::gazetteer::import::{FileParser, Format, Line, Record};
use controlroom_domain::gazetteer::{Classification, Position};

struct Read {
    records: Vec<(u64, Record)>,
    skipped: Vec<(u64, &'static str)>,
    refused: Vec<(u64, String)>,
}

impl Read {
    /// Every record with its line, as `pick` takes it; fails on a record `pick` does not take.
    fn every<T>(&self, pick: impl Fn(&Record) -> Option<T>) -> Vec<(u64, T)> {
        let picked = self.records.iter().map(|(n, r)| {
            let taken = pick(r).unwrap_or_else(|| panic!("line {n}: {r:?}"));
            (*n, taken)
        });
        picked.collect()
    }
}

/// The sample files, one a format.
const ADDRESSBASE_PLUS: &str = include_str!("data/gazetteer/addressbase-plus.csv");
const FORCE_PLACES: &str = include_str!("data/gazetteer/force-places.csv");
const ONSPD: &str = include_str!("data/gazetteer/onspd.csv");
const OPEN_NAMES: &str = include_str!("data/gazetteer/open-names.csv");
const OPEN_UPRN: &str = include_str!("data/gazetteer/open-uprn.csv");

fn read(format: Format, text: &str) -> Read {
    let mut parser = FileParser::new(format);
    let mut read = Read {
        records: Vec::new(),
        skipped: Vec::new(),
        refused: Vec::new(),
    };
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        match parser.line(n, line) {
            Ok(Line::Record(r)) => read.records.push((n, r)),
            Ok(Line::Skipped(why)) => read.skipped.push((n, why)),
            Ok(Line::Nothing) => {}
            Err(why) => read.refused.push((n, why)),
        }
    }
    read
}

fn near(p: Position, lat: f64, lon: f64, metres: f64) -> bool {
    let dlat = (p.lat - lat) * 111_320.0;
    let dlon = (p.lon - lon) * 111_320.0 * lat.to_radians().cos();
    (dlat * dlat + dlon * dlon).sqrt() < metres
}

#[test]
fn addressbase_plus_rows_become_addresses_and_bad_rows_are_refused() {
    let read = read(Format::AddressBasePlus, ADDRESSBASE_PLUS);
    let addresses = read.every(|r| match r {
        Record::Address(a) => Some(a.clone()),
        _ => None,
    });
    assert_eq!(
        addresses.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let flat = &addresses[0].1;
    assert_eq!(flat.uprn.get(), 72_001_234);
    assert_eq!(flat.single_line, "Flat 2, 10 Harehills Lane, Leeds LS8 3AA");
    assert_eq!(flat.building.as_deref(), Some("Flat 2"));
    assert_eq!(flat.number.as_deref(), Some("10"));
    assert_eq!(flat.postcode.as_ref().map(|p| p.as_str()), Some("LS8 3AA"));
    assert_eq!(flat.usrn.map(|u| u.get()), Some(14_200_345));
    assert_eq!(flat.classification, Classification::Residential);
    // Converted from the National Grid: close to where the published latitude puts line 2.
    assert!(
        near(flat.position, 53.8184, -1.5006, 40.0),
        "{:?}",
        flat.position
    );
    let coop = &addresses[2].1;
    assert_eq!(coop.classification, Classification::Commercial);
    assert_eq!(coop.organisation.as_deref(), Some("Co-Operative Food"));
    assert_eq!(
        coop.single_line,
        "Co-Operative Food, 150 Roundhay Road, Leeds LS8 5AN"
    );

    assert_eq!(
        read.skipped,
        vec![(7, "deletion in a change-only update (not applied)")]
    );
    let refused: Vec<u64> = read.refused.iter().map(|(n, _)| *n).collect();
    assert_eq!(refused, vec![4, 5, 6, 8], "{:?}", read.refused);
    assert!(
        read.refused[0].1.contains("'ABC123' is not a UPRN"),
        "{:?}",
        read.refused[0]
    );
    assert!(
        read.refused[1]
            .1
            .contains("has 40 fields; this addressbase-plus layout has 77")
    );
    assert!(
        read.refused[2]
            .1
            .contains("not on the British National Grid")
    );
    assert!(
        read.refused[3]
            .1
            .contains("'LS99 ZZZ' is not a UK postcode")
    );
}

#[test]
fn addressbase_plus_with_its_header_row_is_read_by_name() {
    let header = controlroom_domain::gazetteer::import::ADDRESSBASE_PLUS_COLUMNS.join(",");
    let body = ADDRESSBASE_PLUS;
    let read = read(Format::AddressBasePlus, &format!("{header}\r\n{body}"));
    assert_eq!(read.records.len(), 3);
    assert_eq!(read.records[0].0, 2, "line numbers count the header");
}

#[test]
fn open_uprn_rows_are_positions_by_uprn() {
    let read = read(Format::OpenUprn, OPEN_UPRN);
    let uprns: Vec<(u64, i64)> = read
        .records
        .iter()
        .map(|(n, r)| match r {
            Record::UprnPosition { uprn, .. } => (*n, uprn.get()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        uprns,
        vec![(2, 72_001_234), (3, 72_009_999), (6, 72_009_997)]
    );
    let refused: Vec<u64> = read.refused.iter().map(|(n, _)| *n).collect();
    assert_eq!(refused, vec![4, 5], "{:?}", read.refused);
    assert!(
        read.refused[1].1.contains("outside the United Kingdom"),
        "{:?}",
        read.refused[1]
    );
}

#[test]
fn onspd_rows_are_postcode_centroids_and_terminated_postcodes_are_left_out() {
    let read = read(Format::Onspd, ONSPD);
    let postcodes: Vec<String> = read
        .every(|r| match r {
            Record::Postcode(p) => Some(p.postcode.to_string()),
            _ => None,
        })
        .into_iter()
        .map(|(_, postcode)| postcode)
        .collect();
    assert_eq!(postcodes, vec!["LS8 3AA", "LS1 1UR"]);
    assert_eq!(
        read.skipped,
        vec![
            (4, "terminated postcode"),
            (5, "postcode without a grid reference")
        ]
    );
    assert_eq!(read.refused.len(), 1);
    assert_eq!(read.refused[0].0, 6);
    assert!(read.refused[0].1.contains("'XY1' is not a UK postcode"));
}

#[test]
fn open_names_rows_are_places_streets_and_postcodes() {
    let read = read(Format::OpenNames, OPEN_NAMES);
    assert_eq!(read.records.len(), 4);
    match &read.records[0].1 {
        Record::Place(p) => {
            assert_eq!(p.name, "Roundhay Park");
            assert_eq!(p.kind, "Park");
            assert_eq!(p.postcode_district.as_deref(), Some("LS8"));
            assert!(
                near(p.position, 53.8413, -1.4825, 300.0),
                "{:?}",
                p.position
            );
        }
        other => panic!("{other:?}"),
    }
    match &read.records[1].1 {
        Record::Place(p) => assert_eq!(p.aliases, vec!["Leeds City Station"]),
        other => panic!("{other:?}"),
    }
    match &read.records[2].1 {
        Record::Street(s) => {
            assert_eq!(s.name, "Harehills Lane");
            assert_eq!(s.locality.as_deref(), Some("Harehills"));
            let extent = s.extent.unwrap();
            assert!(extent.min.lat < s.point.lat && s.point.lat < extent.max.lat);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&read.records[3].1, Record::Postcode(p) if p.postcode == "LS8 3AA"));
    let refused: Vec<u64> = read.refused.iter().map(|(n, _)| *n).collect();
    assert_eq!(refused, vec![5, 6], "{:?}", read.refused);
    assert!(
        read.refused[0]
            .1
            .contains("GEOMETRY_X 'abc' is not a number")
    );
    assert!(read.refused[1].1.contains("NAME1 is empty"));
}

#[test]
fn a_force_adds_its_own_places_and_the_names_callers_use() {
    let read = read(Format::ForcePlaces, FORCE_PLACES);
    assert_eq!(read.records.len(), 2, "{:?}", read.refused);
    match &read.records[0].1 {
        Record::Place(p) => {
            assert_eq!(p.id, "wyp-coop-roundhay-rd");
            assert_eq!(
                p.aliases,
                vec!["the Co-op on Roundhay Road", "Roundhay Road Co-op"]
            );
            assert_eq!(p.kind, "Shop");
            assert!(near(p.position, 53.8163, -1.5189, 1.0));
        }
        other => panic!("{other:?}"),
    }
    match &read.records[1].1 {
        // An Open Names place given the aliases the force knows it by, placed by grid
        // reference.
        Record::Place(p) => {
            assert_eq!(p.id, "osgb4000000024011562");
            assert_eq!(p.aliases.len(), 3);
            assert!(
                near(p.position, 53.8413, -1.4825, 300.0),
                "{:?}",
                p.position
            );
        }
        other => panic!("{other:?}"),
    }
    let refused: Vec<(u64, &str)> = read
        .refused
        .iter()
        .map(|(n, why)| (*n, why.as_str()))
        .collect();
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert_eq!(refused[0], (4, "NAME is empty"));
    assert_eq!(refused[1].0, 5);
    assert!(
        refused[1].1.contains("outside the United Kingdom"),
        "{refused:?}"
    );
    assert!(refused[2].1.contains("must be one word"), "{refused:?}");
    assert!(refused[3].1.contains("no position"), "{refused:?}");
}
