//! A synthetic gazetteer of the demo force's Leeds area: real-looking streets, house numbers,
//! flats and postcodes in LS1-LS17, the places named in the demo's calls, and landmarks with
//! the names callers use for them. Generated (the same every time), never downloaded; the
//! address benchmark uses the same generator at any size.

use crate::gazetteer::{BATCH, add, catch_up, write_batch};
use crate::{App, AppError};
use controlroom_domain::gazetteer::import::Record;
use controlroom_domain::gazetteer::{
    Address, AddressParts, Classification, NamedPlace, Position, PostcodeCentroid, Uprn, Usrn,
    single_line,
};
use controlroom_domain::pole::Postcode;
use controlroom_store::GazetteerBatch;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// Addresses in the demo force's gazetteer.
pub const DEMO_ADDRESSES: usize = 6_000;

/// Postcode districts of the demo area with an approximate centre (WGS84) and a locality.
const DISTRICTS: &[(&str, f64, f64, &str)] = &[
    ("LS1", 53.7975, -1.5450, "City Centre"),
    ("LS2", 53.8040, -1.5520, "Woodhouse"),
    ("LS3", 53.8010, -1.5650, "Burley"),
    ("LS4", 53.8090, -1.5800, "Kirkstall"),
    ("LS5", 53.8160, -1.6000, "Hawksworth"),
    ("LS6", 53.8200, -1.5700, "Headingley"),
    ("LS7", 53.8280, -1.5350, "Chapel Allerton"),
    ("LS8", 53.8250, -1.5100, "Harehills"),
    ("LS9", 53.8000, -1.5100, "Burmantofts"),
    ("LS10", 53.7700, -1.5350, "Hunslet"),
    ("LS11", 53.7800, -1.5550, "Beeston"),
    ("LS12", 53.7950, -1.6000, "Armley"),
    ("LS13", 53.8100, -1.6350, "Bramley"),
    ("LS14", 53.8250, -1.4600, "Seacroft"),
    ("LS15", 53.8050, -1.4400, "Cross Gates"),
    ("LS16", 53.8550, -1.5900, "Adel"),
    ("LS17", 53.8600, -1.5200, "Moortown"),
];

const STREET_NAMES: &[&str] = &[
    "Harehills",
    "Roundhay",
    "Oakwood",
    "Gledhow",
    "Potternewton",
    "Meanwood",
    "Headingley",
    "Kirkstall",
    "Burley",
    "Armley",
    "Wortley",
    "Beeston",
    "Holbeck",
    "Hunslet",
    "Middleton",
    "Seacroft",
    "Gipton",
    "Halton",
    "Whinmoor",
    "Moortown",
    "Alwoodley",
    "Adel",
    "Cookridge",
    "Weetwood",
    "Woodhouse",
    "Sheepscar",
    "Burmantofts",
    "Osmondthorpe",
    "Killingbeck",
    "Cardigan",
    "Stonegate",
    "Bayswater",
    "Cowper",
    "Bankside",
    "Conway",
    "Dorset",
    "Markham",
    "Nowell",
    "Shepherd",
    "Victoria",
    "Elm",
    "Ash",
    "Beech",
    "Sycamore",
    "Chestnut",
    "Park",
    "Church",
    "Mill",
    "Station",
    "School",
];

const STREET_TYPES: &[&str] = &[
    "Lane", "Road", "Street", "Avenue", "Grove", "Crescent", "Mount", "Terrace", "Place", "Drive",
    "Close", "View",
];

const LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// The fixed addresses: where the demo's calls are, and the example.
/// uprn, organisation, flat, number, street, locality, postcode, lat, lon.
type NamedAddress = (
    i64,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    f64,
    f64,
);

const NAMED: &[NamedAddress] = &[
    // uprn, organisation, flat, number, street, locality, postcode, lat, lon
    (
        72_700_000_001,
        "",
        None,
        "14",
        "Harehills Lane",
        Some("Harehills"),
        "LS8 3AA",
        53.8182,
        -1.5010,
    ),
    (
        72_700_000_002,
        "",
        None,
        "10",
        "Harehills Lane",
        Some("Harehills"),
        "LS8 3AA",
        53.8180,
        -1.5013,
    ),
    (
        72_700_000_003,
        "",
        Some("Flat 2"),
        "10",
        "Harehills Lane",
        Some("Harehills"),
        "LS8 3AA",
        53.8180,
        -1.5013,
    ),
    (
        72_700_000_004,
        "",
        None,
        "14",
        "Cardigan Road",
        Some("Headingley"),
        "LS6 3AG",
        53.8190,
        -1.5770,
    ),
    (
        72_700_000_005,
        "",
        None,
        "22",
        "Oakwood Lane",
        Some("Roundhay"),
        "LS8 2JD",
        53.8290,
        -1.5010,
    ),
    (
        72_700_000_006,
        "",
        Some("Flat 3"),
        "45",
        "Beeston Road",
        Some("Beeston"),
        "LS11 6AU",
        53.7780,
        -1.5530,
    ),
    (
        72_700_000_007,
        "",
        None,
        "18",
        "Gipton Approach",
        Some("Gipton"),
        "LS9 6LL",
        53.8120,
        -1.4930,
    ),
    (
        72_700_000_008,
        "",
        None,
        "3",
        "Elm Terrace",
        Some("Horsforth"),
        "LS18 5AA",
        53.8420,
        -1.6380,
    ),
    (
        72_700_000_009,
        "Costcutter",
        None,
        "120",
        "Harehills Road",
        Some("Harehills"),
        "LS8 5HS",
        53.8115,
        -1.5180,
    ),
    (
        72_700_000_010,
        "The Fenton",
        None,
        "161",
        "Woodhouse Lane",
        Some("Woodhouse"),
        "LS2 3AW",
        53.8070,
        -1.5530,
    ),
    (
        72_700_000_011,
        "Co-operative Food",
        None,
        "150",
        "Roundhay Road",
        Some("Harehills"),
        "LS8 5AN",
        53.8140,
        -1.5260,
    ),
];

/// Landmarks with the names callers use.
/// id, name, aliases, kind, postcode district, lat, lon.
type Landmark = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    f64,
    f64,
);

const PLACES: &[Landmark] = &[
    // id, name, aliases, kind, district, lat, lon
    (
        "demo-roundhay-park",
        "Roundhay Park",
        &["Soldiers' Field", "the lakes at Roundhay"],
        "Park",
        "LS8",
        53.8389,
        -1.4975,
    ),
    (
        "demo-leeds-station",
        "Leeds Railway Station",
        &["Leeds City Station", "the train station"],
        "Railway Station",
        "LS1",
        53.7949,
        -1.5475,
    ),
    (
        "demo-kirkgate-market",
        "Kirkgate Market",
        &["Leeds Market"],
        "Market",
        "LS2",
        53.7972,
        -1.5405,
    ),
    (
        "demo-st-james",
        "St James's University Hospital",
        &["Jimmy's", "St James's"],
        "Hospital",
        "LS9",
        53.8066,
        -1.5200,
    ),
    (
        "demo-lgi",
        "Leeds General Infirmary",
        &["LGI", "the Infirmary"],
        "Hospital",
        "LS1",
        53.8018,
        -1.5516,
    ),
    (
        "demo-elland-road",
        "Elland Road Stadium",
        &["Leeds United ground", "Elland Road"],
        "Stadium",
        "LS11",
        53.7778,
        -1.5722,
    ),
    (
        "demo-coop-roundhay-road",
        "Co-operative Food, Roundhay Road",
        &["the Co-op on Roundhay Road"],
        "Supermarket",
        "LS8",
        53.8140,
        -1.5260,
    ),
    (
        "demo-kirkstall-abbey",
        "Kirkstall Abbey",
        &[],
        "Historic Site",
        "LS5",
        53.8210,
        -1.6070,
    ),
    (
        "demo-harehills-park",
        "Harehills Park",
        &[],
        "Park",
        "LS8",
        53.8175,
        -1.5090,
    ),
    (
        "demo-fenton",
        "The Fenton",
        &["the Fenton pub"],
        "Public House",
        "LS2",
        53.8070,
        -1.5530,
    ),
];

/// `count` synthetic addresses (the same for the same `seed`): streets of 30 or more houses
/// in the districts above, every seventh house divided into three flats, a postcode to each
/// dozen houses.
pub fn addresses(seed: u64, count: usize) -> impl Iterator<Item = Address> {
    let per_street = (count / 8_000).max(30);
    let mut street = 0usize;
    let mut house = 0usize;
    let mut flat = 0usize;
    let mut produced = 0usize;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut street_at = (0.0, 0.0, 0.0);
    std::iter::from_fn(move || {
        if produced >= count {
            return None;
        }
        if house == 0 && flat == 0 {
            let (_, lat, lon, _) = DISTRICTS[street % DISTRICTS.len()];
            street_at = (
                lat + rng.random_range(-0.015..0.015),
                lon + rng.random_range(-0.025..0.025),
                rng.random_range(0.0..std::f64::consts::PI),
            );
        }
        let (district, _, _, locality) = DISTRICTS[street % DISTRICTS.len()];
        let round = street / DISTRICTS.len();
        let name = format!(
            "{} {}",
            STREET_NAMES[round % STREET_NAMES.len()],
            STREET_TYPES[(round / STREET_NAMES.len() + street) % STREET_TYPES.len()]
        );
        let number = house + 1;
        let block = house / 12;
        let postcode = format!(
            "{district} {}{}{}",
            street % 9 + 1,
            LETTERS[(street * 7 + block) % LETTERS.len()] as char,
            LETTERS[(street * 3 + block * 11) % LETTERS.len()] as char
        );
        // Houses every 8 m along the street, odd numbers on one side.
        let along = house as f64 * 4.0;
        let side = if number.is_multiple_of(2) { 6.0 } else { -6.0 };
        let (lat0, lon0, angle) = street_at;
        let lat = lat0 + (along * angle.cos() + side * angle.sin()) / 111_320.0;
        let lon = lon0 + (along * angle.sin() - side * angle.cos()) / 65_700.0;
        let flats = if number.is_multiple_of(7) { 3 } else { 0 };
        let flat_name = (flats > 0).then(|| format!("Flat {}", flat + 1));
        let number_text = number.to_string();
        let line = single_line(&AddressParts {
            sub_building: flat_name.as_deref(),
            number: Some(&number_text),
            street: Some(&name),
            locality: Some(locality),
            town: Some("Leeds"),
            postcode: Some(&postcode),
            ..AddressParts::default()
        });
        let uprn = 72_000_000_000 + produced as i64 + 1;
        let usrn = 14_000_000 + street as i64 + 1;
        let address = Address {
            uprn: Uprn::from_i64(uprn).ok()?,
            single_line: line,
            organisation: None,
            building: flat_name,
            number: Some(number_text),
            street: Some(name),
            locality: Some(locality.to_owned()),
            town: Some("Leeds".to_owned()),
            postcode: Postcode::parse("postcode", &postcode).ok(),
            classification: Classification::Residential,
            usrn: Usrn::parse(&usrn.to_string()).ok(),
            position: Position::wgs84(lat, lon).ok()?,
        };
        produced += 1;
        if flats > 0 && flat + 1 < flats {
            flat += 1;
        } else {
            flat = 0;
            house += 1;
            if house >= per_street {
                house = 0;
                street += 1;
            }
        }
        Some(address)
    })
}

fn named_addresses() -> Vec<Address> {
    NAMED
        .iter()
        .filter_map(
            |&(uprn, org, flat, number, street, locality, postcode, lat, lon)| {
                let organisation = (!org.is_empty()).then(|| org.to_owned());
                Some(Address {
                    uprn: Uprn::from_i64(uprn).ok()?,
                    single_line: single_line(&AddressParts {
                        organisation: organisation.as_deref(),
                        sub_building: flat,
                        number: Some(number),
                        street: Some(street),
                        locality,
                        town: Some("Leeds"),
                        postcode: Some(postcode),
                        ..AddressParts::default()
                    }),
                    organisation: organisation.clone(),
                    building: flat.map(str::to_owned),
                    number: Some(number.to_owned()),
                    street: Some(street.to_owned()),
                    locality: locality.map(str::to_owned),
                    town: Some("Leeds".to_owned()),
                    postcode: Postcode::parse("postcode", postcode).ok(),
                    classification: if organisation.is_some() {
                        Classification::Commercial
                    } else {
                        Classification::Residential
                    },
                    usrn: None,
                    position: Position::wgs84(lat, lon).ok()?,
                })
            },
        )
        .collect()
}

fn places() -> Vec<NamedPlace> {
    PLACES
        .iter()
        .filter_map(|&(id, name, aliases, kind, district, lat, lon)| {
            Some(NamedPlace {
                id: id.to_owned(),
                name: name.to_owned(),
                aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
                kind: kind.to_owned(),
                locality: Some("Leeds".to_owned()),
                postcode_district: Some(district.to_owned()),
                position: Position::wgs84(lat, lon).ok()?,
            })
        })
        .collect()
}

/// Write the demo gazetteer (a second run changes nothing) and index it.
pub async fn seed(app: &App) -> Result<u64, AppError> {
    let mut changed = 0;
    let mut batch = GazetteerBatch::default();
    let mut centroids: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    let all = addresses(2026, DEMO_ADDRESSES).chain(named_addresses());
    for address in all {
        if let Some(pc) = &address.postcode {
            let c = centroids.entry(pc.to_string()).or_default();
            *c = (
                c.0 + address.position.lat,
                c.1 + address.position.lon,
                c.2 + 1.0,
            );
        }
        add(&mut batch, &Record::Address(address));
        if batch.len() >= BATCH {
            changed += write_batch(app, &batch).await?;
            batch = GazetteerBatch::default();
        }
    }
    for place in places() {
        add(&mut batch, &Record::Place(place));
    }
    for (postcode, (lat, lon, n)) in centroids {
        if let Ok(position) = Position::wgs84(lat / n, lon / n)
            && let Ok(centroid) = PostcodeCentroid::new(&postcode, position)
        {
            add(&mut batch, &Record::Postcode(centroid));
        }
    }
    changed += write_batch(app, &batch).await?;
    if changed > 0 {
        let mut tx = app.store.begin().await?;
        let revision = tx.next_gazetteer_revision().await?;
        tx.derive_streets(revision).await?;
        tx.commit().await?;
    }
    catch_up(app).await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_makes_distinct_leeds_addresses_with_flats_and_postcodes() {
        let all: Vec<Address> = addresses(1, 2_000).collect();
        assert_eq!(all.len(), 2_000);
        let uprns: std::collections::HashSet<i64> = all.iter().map(|a| a.uprn.get()).collect();
        assert_eq!(uprns.len(), 2_000);
        let lines: std::collections::HashSet<&str> =
            all.iter().map(|a| a.single_line.as_str()).collect();
        assert_eq!(lines.len(), 2_000, "no two addresses read the same");
        assert!(all.iter().any(|a| a.single_line.starts_with("Flat 2, 7 ")));
        assert!(all.iter().all(|a| {
            a.postcode
                .as_ref()
                .is_some_and(|p| p.as_str().starts_with("LS"))
        }));
        assert_eq!(
            all[0].single_line,
            addresses(1, 1).next().unwrap().single_line
        );
        assert_eq!(named_addresses().len(), NAMED.len());
        assert_eq!(places().len(), PLACES.len());
    }
}
