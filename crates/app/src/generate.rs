//! Synthetic data for tests and benchmarks: a force-sized population with realistic
//! spelling variety (Mohammed and Muhammad, Smith and Smyth), addresses and postcodes around
//! Leeds, phones from Ofcom's ranges reserved for drama (never a real subscriber), vehicles,
//! and years of incidents with links. Deterministic: the same seed gives the same data.

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_population() {
        let draw = |seed| {
            let mut g = Generator::new(seed, 1_800_000_000_000_000);
            (0..20)
                .map(|_| {
                    let p = g.person();
                    (p.names, p.date_of_birth, p.address, g.vrm(), g.when())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    /// The bulk population is what the use cases would have left: `reindex` (the production
    /// path) finds every record, the incident list holds every incident, and the chain
    /// verifies.
    #[tokio::test]
    async fn a_bulk_population_is_reindexed_like_real_work() {
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let store = crate::event_store::tests::sqlite_store(&dir).await;
        let index = Arc::new(controlroom_search::SearchIndex::open(None).unwrap());
        let app = crate::App::new(
            store.clone(),
            Arc::new(crate::SystemClock),
            crate::Settings::default(),
        )
        .with_search(index.clone());
        // Seven records a transaction: the population spans a dozen of them (a writer that
        // began the next before committing the last would wait for itself: the timeout).
        let writing = write_population(
            &app,
            Population {
                seed: 3,
                people: 40,
                vehicles: 10,
                incidents: 20,
                links: 10,
                phones: Phones::Drama,
            },
            7,
            |_, _| {},
        );
        let done = tokio::time::timeout(std::time::Duration::from_secs(60), writing)
            .await
            .expect("the population is written without waiting on itself")
            .unwrap();
        assert_eq!(
            done,
            Generated {
                people: 40,
                vehicles: 10,
                incidents: 20,
                links: 10
            }
        );
        let indexed = crate::intelligence::reindex(&app).await.unwrap();
        assert_eq!(
            indexed,
            40 + 10 + 20 + 10,
            "every person, vehicle, incident and link"
        );
        let listed = store
            .list_incidents(&controlroom_store::IncidentFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.len(), 20);
        let mut g = Generator::new(3, 0);
        let first = g.person();
        let found = index.people(&first.names[0], None, None, 10).unwrap();
        assert!(!found.is_empty(), "{} is found", first.names[0]);
        let verified = crate::audit_trail::verify(store.as_ref()).await;
        assert!(verified.is_ok(), "{:?}", verified.err());
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

/// How many of each to write, and the seed that makes the population the same every time.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub seed: u64,
    pub people: usize,
    pub vehicles: usize,
    pub incidents: usize,
    /// Links from a random person to an incident (as victim or suspect), spread evenly
    /// among the incidents.
    pub links: usize,
    pub phones: Phones,
}

/// Where the generated phone numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phones {
    /// Ofcom's 4,000 numbers reserved for drama: demonstration data that can never ring a
    /// real subscriber.
    Drama,
    /// A million numbers under country code +999 (assigned to no country), so that at force
    /// scale each has a realistic handful of calls: for benchmarks.
    Benchmark,
}

impl Phones {
    fn draw(self, g: &mut Generator) -> String {
        match self {
            Self::Drama => drama_phone(g.rng.random_range(0..4_000)),
            Self::Benchmark => synthetic_phone(g.rng.random_range(0..1_000_000)),
        }
    }
}

/// How much [`bulk_into_store`] created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generated {
    pub people: usize,
    pub vehicles: usize,
    pub incidents: usize,
    pub links: usize,
}

impl Generated {
    pub fn records(&self) -> usize {
        self.people + self.vehicles + self.incidents + self.links
    }
}

/// Records per transaction: large enough that commits do not dominate, small enough that a
/// transaction's memory stays modest.
const BATCH: usize = 5_000;

/// The transaction a population is being written in, committed and begun again every
/// `per_transaction` records.
struct Batches<'a, P: FnMut(&str, usize)> {
    app: &'a crate::App,
    tx: Option<Box<dyn controlroom_store::WriteTx>>,
    per_transaction: usize,
    written: usize,
    progress: P,
}

impl<P: FnMut(&str, usize)> Batches<'_, P> {
    /// The transaction for the next record.
    async fn next(&mut self) -> Result<&mut dyn controlroom_store::WriteTx, crate::AppError> {
        if self.written > 0 && self.written.is_multiple_of(self.per_transaction) {
            // Committed before the next begins: a store has one write transaction at a time.
            if let Some(done) = self.tx.take() {
                done.commit().await?;
            }
            (self.progress)("records", self.written);
        }
        self.written += 1;
        let tx = match self.tx.take() {
            Some(tx) => tx,
            None => self.app.store.begin().await?,
        };
        Ok(self.tx.insert(tx).as_mut())
    }

    async fn finish(mut self) -> Result<(), crate::AppError> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        (self.progress)("records", self.written);
        Ok(())
    }
}

/// Write a synthetic population into the audit log in large transactions: the events the
/// use cases record (a person or vehicle recorded through the record's own checks, an
/// incident opened from a contact by the incident's own `decide`, a person linked to an
/// incident as victim or suspect), with incidents spread over three years and written in
/// the order they happened, but without a transaction, a read-back and an index update per
/// record. Nothing is indexed:
/// `intelligence::reindex` then builds the index, the path a real force's index is rebuilt
/// by. Events are stamped by the user `generator`.
pub async fn bulk_into_store(
    app: &crate::App,
    size: Population,
    progress: impl FnMut(&str, usize),
) -> Result<Generated, crate::AppError> {
    write_population(app, size, BATCH, progress).await
}

async fn write_population(
    app: &crate::App,
    size: Population,
    per_transaction: usize,
    progress: impl FnMut(&str, usize),
) -> Result<Generated, crate::AppError> {
    use controlroom_domain::contact::{CallerDraft, ContactDraft, ContactId, LocationDraft};
    use controlroom_domain::incident::{IncidentCommand, IncidentId, IncidentRef, decide};
    use controlroom_domain::pole::{
        Kind, LinkRole, PersonDraft, PoleEvent, PoleRecord, RecordRef, VehicleDetails,
    };
    use controlroom_domain::roles::Role;
    use controlroom_domain::user::Username;
    use uuid::Uuid;

    const CHANNELS: [&str; 3] = ["999", "101", "online"];
    let actor = crate::Actor::with_role(Username::parse("generator")?, Role::Supervisor);
    // A person's, vehicle's or link's event, as the intelligence use cases would append it.
    let append = async |tx: &mut dyn controlroom_store::WriteTx,
                        record: RecordRef,
                        event: &PoleEvent,
                        at: jiff::Timestamp| {
        let change = crate::event_store::change_record::<PoleRecord>(&record, event, &actor, at)?;
        tx.append(change).await.map_err(crate::AppError::from)
    };
    let now = app.clock.now();
    let today = now.to_zoned(app.settings.time_zone.clone()).date();
    let incident_type =
        crate::first_contact::incident_type_code(app, "incident_type", "CRIME_THEFT")?;
    let mut g = Generator::new(size.seed, now.as_microsecond());
    let mut done = Generated::default();
    let mut person_ids = Vec::with_capacity(size.people);
    let mut batches = Batches {
        app,
        tx: None,
        per_transaction: per_transaction.max(1),
        written: 0,
        progress,
    };
    for _ in 0..size.people {
        let p = g.person();
        let details = PersonDraft {
            names: p.names,
            date_of_birth: Some(p.date_of_birth),
            phones: vec![size.phones.draw(&mut g)],
            addresses: vec![p.address],
            ..PersonDraft::default()
        }
        .parse(today)?;
        let id = RecordRef {
            kind: Kind::Person,
            id: Uuid::now_v7(),
        };
        let event = PoleEvent::PersonRecorded { details };
        append(batches.next().await?, id, &event, now).await?;
        person_ids.push(id);
        done.people += 1;
    }
    for _ in 0..size.vehicles {
        let id = RecordRef {
            kind: Kind::Vehicle,
            id: Uuid::now_v7(),
        };
        let event = PoleEvent::VehicleRecorded {
            details: VehicleDetails {
                vrm: controlroom_domain::pole::Vrm::parse("vrm", &g.vrm())?,
                make: Some("Ford".into()),
                model: None,
                colour: None,
            },
        };
        append(batches.next().await?, id, &event, now).await?;
        done.vehicles += 1;
    }
    // Incidents in the order they happened, as a force's history accumulates: the incident
    // list's indexes by time then grow at their end, and each day's numbers run in one
    // transaction (drawn at random times, the indexes were written all over, and a
    // transaction's cost grew with the database: 300 ms a commit at first, 700 ms at 4M).
    let mut times: Vec<i64> = (0..size.incidents).map(|_| g.when()).collect();
    times.sort_unstable();
    for (k, micros) in times.into_iter().enumerate() {
        let at = jiff::Timestamp::from_microsecond(micros)
            .map_err(|e| crate::AppError::Corrupt(e.to_string()))?;
        let (place, _, (lat, lon)) = g.place();
        let contact = ContactDraft {
            channel: CHANNELS[k % CHANNELS.len()].into(),
            received_at: Some(at),
            caller: CallerDraft {
                phone: Some(size.phones.draw(&mut g)),
                ..CallerDraft::named(g.name())
            },
            location: LocationDraft {
                lat: Some(lat),
                lon: Some(lon),
                ..LocationDraft::described(place)
            },
            summary: "Synthetic incident for testing".into(),
            ..ContactDraft::default()
        }
        .into_contact(ContactId(Uuid::now_v7()), actor.username.clone(), at)?;
        let day = at.to_zoned(app.settings.time_zone.clone()).date();
        let tx = batches.next().await?;
        let number = tx
            .next_incident_number(&day.strftime("%Y%m%d").to_string())
            .await?;
        let id = IncidentId(Uuid::now_v7());
        let events = decide(
            None,
            IncidentCommand::Open {
                id,
                reference: IncidentRef::new(day, number),
                incident_type: Some(incident_type.clone()),
                contact,
            },
        )?;
        crate::incidents::append_events(tx, app, &actor, at, None, events).await?;
        done.incidents += 1;
        // Links follow the incidents they name, evenly: `links` of them by the last.
        while done.links < size.links * (k + 1) / size.incidents
            && let Some(&person) = person_ids.get(g.rng.random_range(0..person_ids.len().max(1)))
        {
            let role = if g.rng.random_bool(0.5) {
                "victim"
            } else {
                "suspect"
            };
            let event = PoleEvent::Linked {
                to: RecordRef {
                    kind: Kind::Incident,
                    id: id.0,
                },
                role: LinkRole::parse(role)?,
                note: None,
            };
            // Linked when the incident was recorded.
            append(batches.next().await?, person, &event, at).await?;
            done.links += 1;
        }
    }
    batches.finish().await?;
    Ok(done)
}
