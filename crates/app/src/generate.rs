//! Synthetic data for tests and benchmarks: a force-sized population with realistic
//! spelling variety (Mohammed and Muhammad, Smith and Smyth), addresses and postcodes around
//! Leeds, phones from Ofcom's ranges reserved for drama (never a real subscriber), vehicles,
//! and years of incidents with links. Deterministic: the same seed gives the same data.

use controlroom_search::IndexDoc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const FORENAMES: &[&str] = &[
    "John",
    "Jon",
    "Jonathan",
    "James",
    "Jamie",
    "David",
    "Dave",
    "Michael",
    "Mick",
    "Paul",
    "Mark",
    "Stephen",
    "Steven",
    "Sean",
    "Shaun",
    "Shaun",
    "Daniel",
    "Thomas",
    "Christopher",
    "Mohammed",
    "Muhammad",
    "Mohamed",
    "Ahmed",
    "Ali",
    "Imran",
    "Adam",
    "Liam",
    "Connor",
    "Sarah",
    "Sara",
    "Catherine",
    "Katherine",
    "Kathryn",
    "Kate",
    "Claire",
    "Clare",
    "Emma",
    "Jessica",
    "Laura",
    "Rebecca",
    "Aisha",
    "Ayesha",
    "Fatima",
    "Priya",
    "Siobhan",
    "Niamh",
    "Zoe",
    "Chloe",
    "Amy",
    "Leanne",
    "Sophie",
    "Hannah",
    "Olivia",
    "Grace",
    "Megan",
];

const SURNAMES: &[&str] = &[
    "Smith",
    "Smyth",
    "Smithe",
    "Jones",
    "Williams",
    "Brown",
    "Taylor",
    "Davies",
    "Davis",
    "Evans",
    "Thomas",
    "Johnson",
    "Robinson",
    "Thompson",
    "Thomson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Clarke",
    "Clark",
    "Jackson",
    "Turner",
    "Hill",
    "Moore",
    "Cooper",
    "Ward",
    "Morris",
    "King",
    "Watson",
    "Baker",
    "Khan",
    "Kahn",
    "Patel",
    "Hussain",
    "Hussein",
    "Ahmed",
    "Begum",
    "Ali",
    "Shah",
    "O'Neill",
    "O'Neil",
    "Murphy",
    "Kelly",
    "McDonald",
    "MacDonald",
    "Reid",
    "Reed",
    "Mitchell",
    "Kowalski",
    "Nowak",
    "Okafor",
    "Adeyemi",
    "Singh",
    "Kaur",
];

const STREETS: &[&str] = &[
    "Briggate",
    "Albion Street",
    "Park Row",
    "Boar Lane",
    "Kirkgate",
    "Harehills Lane",
    "Roundhay Road",
    "Chapeltown Road",
    "Otley Road",
    "Headingley Lane",
    "Kirkstall Road",
    "Burley Road",
    "Armley Road",
    "Tong Road",
    "Dewsbury Road",
    "Beeston Road",
    "York Road",
    "Selby Road",
    "Wetherby Road",
    "Street Lane",
    "Harrogate Road",
    "Scott Hall Road",
    "Meanwood Road",
    "Woodhouse Lane",
    "Cardigan Road",
    "Stanningley Road",
    "Town Street",
    "Church Lane",
    "Station Road",
    "Victoria Road",
    "Cross Flatts Avenue",
    "Gipton Approach",
    "Seacroft Avenue",
    "Halton Moor Road",
    "Cross Gates Road",
    "Bradford Road",
    "Leeds Road",
    "Chapel Street",
    "Market Place",
    "Main Street",
];

/// Postcode districts of Leeds with an approximate centre (WGS84).
const DISTRICTS: &[(&str, f64, f64)] = &[
    ("LS1", 53.7975, -1.5450),
    ("LS2", 53.8040, -1.5520),
    ("LS3", 53.8010, -1.5650),
    ("LS4", 53.8090, -1.5800),
    ("LS5", 53.8160, -1.6000),
    ("LS6", 53.8200, -1.5700),
    ("LS7", 53.8280, -1.5350),
    ("LS8", 53.8250, -1.5100),
    ("LS9", 53.8000, -1.5100),
    ("LS10", 53.7700, -1.5350),
    ("LS11", 53.7800, -1.5550),
    ("LS12", 53.7950, -1.6000),
    ("LS13", 53.8100, -1.6350),
    ("LS14", 53.8250, -1.4600),
    ("LS15", 53.8050, -1.4400),
    ("LS16", 53.8550, -1.5900),
    ("LS17", 53.8600, -1.5200),
    ("LS18", 53.8450, -1.6400),
    ("LS19", 53.8600, -1.6800),
    ("LS20", 53.8750, -1.7100),
];

/// Drama numbers only (Ofcom's ranges for TV and radio): 07700 900xxx, 01632 960xxx,
/// 0113 496 0xxx, 020 7946 0xxx.
pub fn drama_phone(n: u32) -> String {
    let k = n % 4000;
    match k / 1000 {
        0 => format!("+447700900{:03}", k % 1000),
        1 => format!("+441632960{:03}", k % 1000),
        2 => format!("+441134960{:03}", k % 1000),
        _ => format!("+442079460{:03}", k % 1000),
    }
}

/// A benchmark number: country code +999 is not assigned to any country (ITU-T E.164), so
/// these reach nobody, and a million of them give each caller a realistic handful of calls.
pub fn synthetic_phone(n: u32) -> String {
    format!("+99970{:06}", n % 1_000_000)
}

pub struct Generator {
    rng: StdRng,
    /// Now, in microseconds: incidents fall in the three years before it.
    now_micros: i64,
}

pub struct SyntheticPerson {
    pub names: Vec<String>,
    pub date_of_birth: String,
    pub phone: String,
    pub address: String,
    pub point: (f64, f64),
}

impl Generator {
    pub fn new(seed: u64, now_micros: i64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            now_micros,
        }
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.rng.random_range(0..list.len())]
    }

    pub fn name(&mut self) -> String {
        format!("{} {}", self.pick(FORENAMES), self.pick(SURNAMES))
    }

    /// A place: house number, street, district and postcode, and a point in the district.
    pub fn place(&mut self) -> (String, String, (f64, f64)) {
        let (district, lat, lon) = DISTRICTS[self.rng.random_range(0..DISTRICTS.len())];
        let letters = b"ABDEFGHJLNPQRSTUWXYZ";
        let inward = format!(
            "{}{}{}",
            self.rng.random_range(1..10),
            letters[self.rng.random_range(0..letters.len())] as char,
            letters[self.rng.random_range(0..letters.len())] as char
        );
        let postcode = format!("{district} {inward}");
        let address = format!(
            "{} {}, Leeds {postcode}",
            self.rng.random_range(1..200),
            self.pick(STREETS)
        );
        let point = (
            lat + self.rng.random_range(-0.012..0.012),
            lon + self.rng.random_range(-0.02..0.02),
        );
        (address, postcode, point)
    }

    pub fn person(&mut self) -> SyntheticPerson {
        let mut names = vec![self.name()];
        if self.rng.random_bool(0.1) {
            names.push(self.name());
        }
        let (address, _, point) = self.place();
        SyntheticPerson {
            names,
            date_of_birth: format!(
                "{}-{:02}-{:02}",
                self.rng.random_range(1940..2010),
                self.rng.random_range(1..13),
                self.rng.random_range(1..29)
            ),
            phone: drama_phone(self.rng.random_range(0..4000)),
            address,
            point,
        }
    }

    pub fn vrm(&mut self) -> String {
        let letters = b"ABCDEFGHJKLMNOPRSTUVWXYZ";
        let mut l = || letters[self.rng.random_range(0..letters.len())] as char;
        let (a, b, c, d, e) = (l(), l(), l(), l(), l());
        format!("{a}{b}{:02}{c}{d}{e}", self.rng.random_range(2..26))
    }

    /// When, in the last three years.
    pub fn when(&mut self) -> i64 {
        self.now_micros - self.rng.random_range(0..3 * 365 * 24 * 3_600_000_000_i64)
    }

    /// A population of `people`, `vehicles` and `incidents` as index documents, streamed;
    /// a third of incidents are linked to a person (victim or suspect).
    pub fn index_docs(
        mut self,
        people: usize,
        vehicles: usize,
        incidents: usize,
    ) -> impl Iterator<Item = IndexDoc> {
        let mut n = 0usize;
        let total = people + vehicles + incidents;
        std::iter::from_fn(move || {
            if n >= total {
                return None;
            }
            let i = n;
            n += 1;
            if i < people {
                let p = self.person();
                return Some(IndexDoc::Person {
                    id: format!("p{i}"),
                    birth_years: p.date_of_birth[..4].parse().ok().into_iter().collect(),
                    date_of_birth: Some(p.date_of_birth),
                    age_range: None,
                    names: p.names,
                    phones: vec![synthetic_phone(self.rng.random_range(0..1_000_000))],
                    addresses: vec![p.address],
                    merged_into: None,
                });
            }
            if i < people + vehicles {
                let vrm = self.vrm();
                return Some(IndexDoc::Vehicle {
                    id: format!("v{i}"),
                    vrm,
                    description: "synthetic".into(),
                });
            }
            let k = i - people - vehicles;
            // Alternate incident and link documents so links refer to earlier incidents.
            if k % 3 == 2 && people > 0 {
                let person = self.rng.random_range(0..people);
                let role = if self.rng.random_bool(0.5) {
                    "victim"
                } else {
                    "suspect"
                };
                return Some(IndexDoc::Link {
                    id: format!("k{k}"),
                    from: format!("p{person}"),
                    to: format!("i{}", k - 1),
                    role: role.into(),
                    at_micros: self.when(),
                });
            }
            let (location, _, point) = self.place();
            Some(IndexDoc::Incident {
                id: format!("i{k}"),
                reference: format!("2026{:07}", k),
                opened_at_micros: self.when(),
                status: "closed".into(),
                incident_type: Some("CRIME_THEFT".into()),
                caller_name: self.name(),
                caller_phone: Some(synthetic_phone(self.rng.random_range(0..1_000_000))),
                location,
                uprn: None,
                point: Some(point),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_population() {
        let a: Vec<IndexDoc> = Generator::new(7, 1_800_000_000_000_000)
            .index_docs(20, 5, 30)
            .collect();
        let b: Vec<IndexDoc> = Generator::new(7, 1_800_000_000_000_000)
            .index_docs(20, 5, 30)
            .collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 55);
        assert!(a.iter().any(|d| matches!(d, IndexDoc::Link { .. })));
    }

    #[test]
    fn phones_stay_in_the_drama_ranges() {
        for n in [0, 999, 1000, 2500, 3999, 4000] {
            let p = drama_phone(n);
            assert!(
                ["+447700900", "+441632960", "+441134960", "+442079460"]
                    .iter()
                    .any(|r| p.starts_with(r)),
                "{p}"
            );
            assert_eq!(p.len(), 13);
        }
    }
}

/// How much `into_store` created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generated {
    pub people: usize,
    pub vehicles: usize,
    pub incidents: usize,
    pub links: usize,
}

/// Write a synthetic population into the store through the ordinary use cases (so the audit
/// trail, projections and index are exactly as real work leaves them). Events are stamped by
/// the user `generator`. One transaction per record: meant for development and test data
/// sets; the force-scale benchmark builds its index directly instead.
pub async fn into_store(
    app: &crate::App,
    seed: u64,
    people: usize,
    vehicles: usize,
    incidents: usize,
    mut progress: impl FnMut(&str, usize),
) -> Result<Generated, crate::AppError> {
    use crate::intelligence::{link, record_person, record_vehicle};
    use crate::take_contact::{NewContact, take_contact};
    use controlroom_domain::contact::ContactDraft;
    use controlroom_domain::pole::{Kind, PersonDraft, RecordRef};
    use controlroom_domain::roles::Role;
    use controlroom_domain::user::Username;

    let actor = crate::Actor::with_role(Username::parse("generator")?, Role::Supervisor);
    let mut g = Generator::new(seed, app.clock.now().as_microsecond());
    let mut done = Generated::default();
    let mut person_ids = Vec::with_capacity(people);
    for i in 0..people {
        let p = g.person();
        let record = record_person(
            app,
            &actor,
            PersonDraft {
                names: p.names,
                date_of_birth: Some(p.date_of_birth),
                phones: vec![p.phone],
                addresses: vec![p.address],
                ..PersonDraft::default()
            },
            None,
        )
        .await?;
        person_ids.push(record.reference.id);
        done.people += 1;
        if (i + 1) % 1000 == 0 {
            progress("people", i + 1);
        }
    }
    for i in 0..vehicles {
        let vrm = g.vrm();
        record_vehicle(app, &actor, &vrm, Some("Ford"), None, None, None).await?;
        done.vehicles += 1;
        if (i + 1) % 1000 == 0 {
            progress("vehicles", i + 1);
        }
    }
    let channels = ["999", "101", "online"];
    for i in 0..incidents {
        let caller = g.person();
        let (place, _, (lat, lon)) = g.place();
        let draft = ContactDraft {
            channel: channels[i % channels.len()].into(),
            caller_name: caller.names[0].clone(),
            caller_phone: Some(caller.phone.clone()),
            location_text: place,
            lat: Some(lat),
            lon: Some(lon),
            summary: "Synthetic incident for testing".into(),
            ..ContactDraft::default()
        };
        let taken = take_contact(
            app,
            &actor,
            NewContact {
                draft,
                incident_type: Some("CRIME_THEFT".into()),
                join: None,
                chosen: None,
            },
            None,
        )
        .await?;
        done.incidents += 1;
        if i % 3 == 0 && !person_ids.is_empty() {
            let person = person_ids[g.rng.random_range(0..person_ids.len())];
            let role = if g.rng.random_bool(0.5) {
                "victim"
            } else {
                "suspect"
            };
            link(
                app,
                &actor,
                RecordRef {
                    kind: Kind::Person,
                    id: person,
                },
                RecordRef {
                    kind: Kind::Incident,
                    id: taken.incident.id.0,
                },
                role,
                None,
            )
            .await?;
            done.links += 1;
        }
        if (i + 1) % 1000 == 0 {
            progress("incidents", i + 1);
        }
    }
    Ok(done)
}
