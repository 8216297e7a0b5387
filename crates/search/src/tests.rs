use super::*;

fn person(id: &str, names: &[&str], dob: Option<&str>, phones: &[&str]) -> IndexDoc {
    IndexDoc::Person {
        id: id.into(),
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        date_of_birth: dob.map(Into::into),
        birth_years: dob.and_then(|d| d[..4].parse().ok()).into_iter().collect(),
        age_range: None,
        phones: phones.iter().map(|p| (*p).to_owned()).collect(),
        addresses: vec![],
        merged_into: None,
    }
}

fn index() -> SearchIndex {
    let index = SearchIndex::open(None).unwrap();
    index
        .upsert(&[
            person(
                "p1",
                &["John Smith"],
                Some("1980-04-02"),
                &["+447700900123"],
            ),
            person("p2", &["Mohammed Khan"], Some("1975-01-30"), &[]),
            person("p3", &["Catherine O'Neill", "Kate Neill"], None, &[]),
            person("p4", &["Siobhan Murphy"], Some("1990-06-15"), &[]),
            person("p5", &["Jon Smithson"], Some("2001-09-09"), &[]),
            IndexDoc::Vehicle {
                id: "v1".into(),
                vrm: "AB12CDE".into(),
                description: "silver Ford Focus".into(),
            },
            location(
                "l1",
                "12 Briggate, Leeds",
                "LS1 6HD",
                Some("72001234"),
                (53.7977, -1.5422),
            ),
            location(
                "l2",
                "3 Albion Street, Leeds",
                "LS1 5AA",
                None,
                (53.7990, -1.5440),
            ),
            location(
                "l3",
                "Otley Road, Adel",
                "LS16 8AA",
                None,
                (53.8530, -1.5840),
            ),
        ])
        .unwrap();
    index.flush().unwrap();
    index
}

/// A location record in the index, with a postcode and a position.
fn location(
    id: &str,
    address: &str,
    postcode: &str,
    uprn: Option<&str>,
    point: (f64, f64),
) -> IndexDoc {
    IndexDoc::Location {
        id: id.into(),
        address: address.into(),
        postcode: Some(postcode.into()),
        uprn: uprn.map(Into::into),
        point: Some(point),
    }
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

// Each spelling variant finds its record (issue 5 acceptance).
#[test]
fn spelling_variants_phonetic_matches_and_typos_find_the_person() {
    let index = index();
    let spellings = [
        ("p1", "John Smith"),
        ("p1", "Jon Smyth"),
        ("p1", "john smith"),
        ("p1", "Jhon Smith"),
        ("p1", "Smiht"),
        ("p1", "Smyth"),
        ("p1", "JOHN SMITHE"),
        ("p2", "Muhammad Khan"),
        ("p2", "Mohamed Khan"),
        ("p2", "Mohammed Kahn"),
        // Aliases count.
        ("p3", "Kate O'Neil"),
        ("p4", "Siobahn Murphy"),
        ("p4", "Siobhan Murphey"),
        ("p4", "Siobhan Murfy"),
    ];
    for (expected, query) in spellings {
        let hits = index.people(query, None, None, 5).unwrap();
        assert_eq!(
            hits.first().map(|h| h.id.as_str()),
            Some(expected),
            "{query}: {hits:?}"
        );
    }
    assert!(
        index
            .people("Zebedee Quirk", None, None, 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn hits_say_why_they_matched() {
    let index = index();
    let exact = &index.people("John Smith", None, None, 1).unwrap()[0];
    assert_eq!(exact.reasons, ["exact name"]);
    let sounds = &index.people("Jon Smyth", None, None, 1).unwrap()[0];
    assert!(
        sounds
            .reasons
            .iter()
            .any(|r| r.starts_with("sounds like John Smith")),
        "{:?}",
        sounds.reasons
    );
}

#[test]
fn date_of_birth_and_age_narrow_the_search() {
    let index = index();
    assert_eq!(
        ids(&index
            .people("Jon Smith", Some("1980-04-02"), None, 5)
            .unwrap()),
        ["p1"]
    );
    assert_eq!(
        ids(&index
            .people("Jon Smith", None, Some((1975, 1985)), 5)
            .unwrap()),
        ["p1"]
    );
    assert!(
        index
            .people("Jon Smith", None, Some((1995, 2005)), 5)
            .unwrap()
            .is_empty()
    );
    assert!(
        index
            .people("John Smith", Some("1999-01-01"), None, 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn phones_and_registrations_find_their_records() {
    let index = index();
    assert_eq!(ids(&index.phone("+447700900123", 5).unwrap()), ["p1"]);
    assert_eq!(ids(&index.vrm("AB12CDE", 5).unwrap()), ["v1"]);
    assert!(index.vrm("AB12CDF", 5).unwrap().is_empty());
}

#[test]
fn locations_by_postcode_district_words_and_distance() {
    let index = index();
    assert_eq!(
        ids(&index.locations(Some("LS1 5AA"), None, "", 5).unwrap()),
        ["l2"]
    );
    let district_hits = index.locations(None, Some("LS1"), "", 5).unwrap();
    let mut district = ids(&district_hits);
    district.sort_unstable();
    assert_eq!(district, ["l1", "l2"], "LS16 is not LS1");
    assert_eq!(
        ids(&index.locations(None, None, "briggate", 5).unwrap()),
        ["l1"]
    );
    assert_eq!(
        ids(&index.locations(None, None, "Albion Stret", 5).unwrap()),
        ["l2"],
        "a typo"
    );
    let near = index
        .near("location", 53.7980, -1.5430, 300.0, None, 5)
        .unwrap();
    assert_eq!(ids(&near), ["l1", "l2"], "nearest first, Adel is too far");
    assert!(near[0].distance_metres.unwrap() < near[1].distance_metres.unwrap());
}

#[test]
fn history_follows_links_and_phones_newest_first() {
    let index = index();
    index
        .upsert(&[
            IndexDoc::Incident {
                id: "i1".into(),
                reference: "20261101-0001".into(),
                opened_at_micros: 1_000,
                status: "closed".into(),
                incident_type: Some("CRIME_THEFT".into()),
                caller_name: "John Smith".into(),
                caller_phone: Some("+447700900123".into()),
                location: "Briggate".into(),
                uprn: None,
                point: Some((53.7977, -1.5422)),
            },
            IndexDoc::Link {
                id: "k1".into(),
                from: "p2".into(),
                to: "i1".into(),
                role: "victim".into(),
                at_micros: 2_000,
            },
            IndexDoc::Link {
                id: "k2".into(),
                from: "p2".into(),
                to: "i9".into(),
                role: "suspect".into(),
                at_micros: 3_000,
            },
        ])
        .unwrap();
    index.flush().unwrap();
    assert_eq!(
        ids(&index
            .incidents_by_phone(&["+447700900123".into()], None, 10)
            .unwrap()),
        ["i1"]
    );
    assert!(
        index
            .incidents_by_phone(&["+447700900123".into()], Some(5_000), 10)
            .unwrap()
            .is_empty(),
        "outside the period"
    );
    let links = index.links(&["p2".into()], None, 10).unwrap();
    assert_eq!(ids(&links), ["k2", "k1"], "newest first");
    assert_eq!(links[1].role.as_deref(), Some("victim"));
    assert_eq!(
        ids(&index
            .near("incident", 53.7978, -1.5423, 100.0, None, 5)
            .unwrap()),
        ["i1"]
    );
}

#[test]
fn a_changed_record_is_found_by_its_new_values_at_once() {
    let index = index();
    index
        .upsert(&[person(
            "p1",
            &["John Smith-Jones"],
            Some("1980-04-02"),
            &["+447700900999"],
        )])
        .unwrap();
    index.flush().unwrap();
    assert!(index.phone("+447700900123", 5).unwrap().is_empty());
    assert_eq!(ids(&index.phone("+447700900999", 5).unwrap()), ["p1"]);
    assert_eq!(
        ids(&index.people("Smith-Jones", None, None, 5).unwrap())[0],
        "p1"
    );
}

#[test]
fn the_index_survives_a_restart_and_can_be_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(Some(dir.path())).unwrap();
        index
            .upsert(&[person("p1", &["John Smith"], None, &[])])
            .unwrap();
    }
    let reopened = SearchIndex::open(Some(dir.path())).unwrap();
    assert_eq!(
        ids(&reopened.people("John Smith", None, None, 5).unwrap()),
        ["p1"]
    );
    let count = reopened
        .rebuild(vec![person("p9", &["Ann Other"], None, &[])], 0)
        .unwrap();
    assert_eq!(count, 1);
    assert!(
        reopened
            .people("John Smith", None, None, 5)
            .unwrap()
            .is_empty()
    );
    assert_eq!(reopened.len().unwrap(), 1);
}

#[test]
fn distances_are_great_circle_metres() {
    // Leeds station to Leeds town hall: about 640 m.
    let d = haversine_metres(53.7953, -1.5480, 53.8001, -1.5492);
    assert!((500.0..700.0).contains(&d), "{d}");
}

// Reads never write (issue 21): an upsert is searchable once the log's follower commits it
// (apply or flush), and no search commits anything, however much is pending.
#[test]
fn searches_read_what_is_committed_and_never_commit() {
    let index = SearchIndex::open(None).unwrap();
    index
        .upsert(&[person("p1", &["Ann Lee"], None, &["+447700900001"])])
        .unwrap();
    let commits = index.commits();
    for _ in 0..3 {
        assert!(index.phone("+447700900001", 5).unwrap().is_empty());
        assert!(index.people("Ann Lee", None, None, 5).unwrap().is_empty());
    }
    assert_eq!(index.commits(), commits, "a search committed the index");
    index.flush().unwrap();
    assert_eq!(index.commits(), commits + 1);
    assert_eq!(ids(&index.phone("+447700900001", 5).unwrap()), ["p1"]);
    // A stretch of the log with nothing to index moves the mark without a commit.
    index.apply(&[], 9).unwrap();
    assert_eq!((index.applied_seq(), index.commits()), (9, commits + 1));
}

// The index knows the last audit sequence it holds, across a reopen; flushing in-request
// upserts never moves it, and it never goes back.
#[test]
fn the_applied_sequence_is_kept_in_the_commit_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(Some(dir.path())).unwrap();
        assert_eq!(index.applied_seq(), 0, "a new index holds nothing");
        index
            .apply(&[person("p1", &["John Smith"], None, &[])], 41)
            .unwrap();
        index
            .upsert(&[person("p2", &["Ann Lee"], None, &[])])
            .unwrap();
        index.flush().unwrap();
        assert_eq!(index.applied_seq(), 41, "a flush is not a catch-up");
        index.apply(&[], 7).unwrap();
        assert_eq!(index.applied_seq(), 41, "never back");
    }
    let reopened = SearchIndex::open(Some(dir.path())).unwrap();
    assert_eq!(reopened.applied_seq(), 41);
    assert_eq!(reopened.len().unwrap(), 2);
    reopened.rebuild(Vec::new(), 90).unwrap();
    assert_eq!(reopened.applied_seq(), 90);
}

#[test]
fn the_same_uprn_finds_an_address_however_it_was_typed() {
    // Two callers about the same text, at two addresses told apart only by their UPRN.
    let at_harehills_lane =
        |n: u8, opened_at_micros: i64, caller: &str, uprn: &str| IndexDoc::Incident {
            id: format!("i{n}"),
            reference: format!("20261101-000{n}"),
            opened_at_micros,
            status: "open".into(),
            incident_type: None,
            caller_name: caller.into(),
            caller_phone: None,
            location: "14 Harehills Lane".into(),
            uprn: Some(uprn.into()),
            point: None,
        };
    let index = index();
    let ann = at_harehills_lane(1, 5_000, "Ann", "72001234");
    let bob = at_harehills_lane(2, 1_000, "Bob", "72001235");
    index.upsert(&[ann, bob]).unwrap();
    index.flush().unwrap();
    let found = index
        .same_uprn("incident", "72001234", Some(2_000), 10)
        .unwrap();
    assert_eq!(ids(&found), ["i1"]);
    assert_eq!(found[0].reasons, ["same address (UPRN 72001234)"]);
    assert!(
        index
            .same_uprn("incident", "72001234", Some(6_000), 10)
            .unwrap()
            .is_empty()
    );
    let places = index.same_uprn("location", "72001234", None, 10).unwrap();
    assert_eq!(ids(&places), ["l1"]);
}

#[test]
fn an_index_from_an_older_schema_is_emptied_to_be_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut b = tantivy::schema::Schema::builder();
        b.add_text_field("id", tantivy::schema::STRING | tantivy::schema::STORED);
        let old = tantivy::Index::create_in_dir(dir.path(), b.build()).unwrap();
        let mut writer: tantivy::IndexWriter = old.writer(15_000_000).unwrap();
        writer.commit().unwrap();
    }
    let index = SearchIndex::open(Some(dir.path())).unwrap();
    assert!(index.is_empty().unwrap());
    assert_eq!(
        index.applied_seq(),
        0,
        "caught up from the start of the log"
    );
}

/// Issue 13: a rebuild is built beside the index searches read, which stays whole (not
/// emptied, not half built) until the rebuild is switched to in one commit; an abandoned
/// rebuild leaves it as it was.
#[test]
fn searches_see_the_old_index_whole_until_a_rebuild_is_switched_to() {
    let index = index();
    let people = |index: &SearchIndex, name: &str| {
        ids(&index.people(name, None, None, 5).unwrap())
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(people(&index, "Mohammed Khan")[0], "p2");

    index.begin_rebuild().unwrap();
    assert!(index.begin_rebuild().is_err(), "one rebuild at a time");
    index
        .add_rebuilt(&[person("p9", &["Ann Other"], None, &[])])
        .unwrap();
    // A write made meanwhile goes into the new index too.
    index
        .upsert(&[person("p8", &["Bea Meanwhile"], None, &[])])
        .unwrap();
    assert_eq!(
        people(&index, "Mohammed Khan")[0],
        "p2",
        "the old index, whole"
    );
    assert!(
        people(&index, "Ann Other").is_empty(),
        "nothing of the new yet"
    );
    index.finish_rebuild(42).unwrap();
    assert!(people(&index, "Mohammed Khan").is_empty(), "switched");
    assert_eq!(people(&index, "Ann Other")[0], "p9");
    assert_eq!(people(&index, "Bea Meanwhile")[0], "p8");
    assert_eq!(index.applied_seq(), 42);

    index.begin_rebuild().unwrap();
    index
        .add_rebuilt(&[person("p7", &["Cal Abandoned"], None, &[])])
        .unwrap();
    index.abandon_rebuild().unwrap();
    assert_eq!(people(&index, "Ann Other")[0], "p9", "kept as it was");
    assert!(people(&index, "Cal Abandoned").is_empty());
    assert!(!index.is_rebuilding());
}
