//! The counting-rules cases: every case file passes (the project's own in `data/hocr`, and
//! the shared folder's when it is beside the repository), and properties that hold for any
//! case: never fewer crimes than victims, never two crimes for one victim's finished incident.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::reference;
use controlroom_domain::hocr::{Case, Counted, Crime, count};
use controlroom_domain::reference::ReferenceData;
use proptest::prelude::*;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Deserialize)]
struct WithExpected {
    expected: Counted,
}

/// A crime as compared: classification, victims and offences, in order.
fn key(c: &Crime) -> (String, Vec<String>, Vec<String>) {
    let mut victims = c.victims.clone();
    victims.sort();
    let mut offences = c.offences.clone();
    offences.sort();
    (c.class.clone(), victims, offences)
}

fn run_folder(folder: &Path, reference: &ReferenceData) -> usize {
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let case: Case =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !case.source.is_empty(),
            "{}: name the source",
            path.display()
        );
        let expected: WithExpected = serde_json::from_str(&text).unwrap();
        let got = count(&case, reference).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut a: Vec<_> = got.crimes.iter().map(key).collect();
        let mut b: Vec<_> = expected.expected.crimes.iter().map(key).collect();
        a.sort();
        b.sort();
        if a != b {
            failures.push(format!("{}: got {a:?}, expected {b:?}", path.display()));
        }
        // The offences not recorded are compared by offence; their reasons are prose.
        let not_recorded = |c: &Counted| -> BTreeSet<String> {
            c.not_recorded.iter().map(|n| n.offence.clone()).collect()
        };
        if not_recorded(&got) != not_recorded(&expected.expected) {
            failures.push(format!(
                "{}: not recorded {:?}, expected {:?}",
                path.display(),
                not_recorded(&got),
                not_recorded(&expected.expected)
            ));
        }
        // Every crime's explanation names the edition applied (issue 16).
        if let Some(edition) = &got.edition {
            if let Some(crime) = got
                .crimes
                .iter()
                .find(|c| !c.rules.iter().any(|r| r.contains(&edition.name)))
            {
                failures.push(format!(
                    "{}: {crime:?} does not name the edition",
                    path.display()
                ));
            }
        } else {
            failures.push(format!("{}: no edition named", path.display()));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

#[test]
fn every_case_file_passes() {
    let reference = reference();
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hocr");
    assert!(run_folder(&own, &reference) >= 30);
    // CI keeps the shared folder beside the repository: run its cases too when present.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/domain/hocr-cases");
    if shared.is_dir() {
        assert!(run_folder(&shared, &reference) >= 3);
    }
}

/// A random case: up to 4 victims, offences of a few classes, each in one of up to 3 reports.
fn arbitrary_case() -> impl Strategy<Value = Case> {
    let classes = prop_oneof![
        Just("8N"),
        Just("105A"),
        Just("34B"),
        Just("28E"),
        Just("58A"),
        Just("8Q"),
        Just("34A")
    ];
    (1usize..5, proptest::collection::vec((0usize..4, classes, 0usize..3, 0i64..72), 1..12)).prop_map(|(victims, offences)| {
        let reports: Vec<String> = (0..3).map(|r| format!(r#"{{"id":"R{r}","at":"2026-01-0{}T12:00:00Z"}}"#, r + 2)).collect();
        let victim_list: Vec<String> = (0..victims).map(|v| format!(r#"{{"id":"V{v}","kind":"person"}}"#)).collect();
        let offence_list: Vec<String> = offences
            .iter()
            .enumerate()
            .map(|(i, (v, class, r, hours))| {
                let victim = v % victims;
                // Consistent facts: an offence happens before the report that tells of it.
                let hours = hours % (24 * (*r as i64 + 1));
                format!(
                    r#"{{"id":"F{i}","class":"{class}","victim":"V{victim}","offenders":["S1"],"at":"{}","place":"P1","report":"R{r}"}}"#,
                    (jiff::Timestamp::from_second(1_767_268_800 + hours * 3600).unwrap())
                )
            })
            .collect();
        let json = format!(
            r#"{{"id":"p","reports":[{}],"victims":[{}],"offenders":[{{"id":"S1"}}],"offences":[{}]}}"#,
            reports.join(","),
            victim_list.join(","),
            offence_list.join(",")
        );
        serde_json::from_str(&json).unwrap()
    })
}

proptest! {
    #[test]
    fn never_fewer_crimes_than_victims_and_no_double_counting(case in arbitrary_case()) {
        let reference = reference();
        let counted = count(&case, &reference).unwrap();
        let victims: BTreeSet<&str> = case.offences.iter().filter_map(|o| o.victim.as_deref()).collect();
        // Every victim has a crime of their own, unless each of their offences is an injury
        // done in a robbery of business property, which the crime covering that robbery
        // counts (34A; the robbery may itself be covered by a more serious offence against the
        // same victim, Section F, and the injuries go with it).
        for victim in &victims {
            let own = counted.crimes.iter().any(|c| c.victims.iter().any(|v| v == victim));
            let in_robbery = case
                .offences
                .iter()
                .filter(|o| o.victim.as_deref() == Some(*victim))
                .all(|o| {
                    counted.crimes.iter().any(|c| {
                        c.offences.contains(&o.id)
                            && c.offences.iter().any(|id| {
                                case.offences
                                    .iter()
                                    .any(|other| &other.id == id && other.class == "34A")
                            })
                    })
                });
            prop_assert!(own || in_robbery, "victim {} has no crime", victim);
        }
        // Every offence is counted exactly once.
        let mut seen = BTreeSet::new();
        for crime in &counted.crimes {
            for offence in &crime.offences {
                prop_assert!(seen.insert(offence.clone()), "offence {} counted twice", offence);
            }
            prop_assert_eq!(crime.victims.len(), 1);
            // An offence against someone else is in a crime only when a rule says why: the
            // injuries done in a robbery of business property (Robbery, 34A).
            for offence in case.offences.iter().filter(|o| crime.offences.contains(&o.id)) {
                if offence.victim.as_deref() != Some(crime.victims[0].as_str()) {
                    // The crime covers the robbery of business property (its class is 34A,
                    // or a more serious offence against the same victim that covers it).
                    let covers_business_robbery = case.offences.iter().any(|o| {
                        o.class == "34A" && crime.offences.contains(&o.id)
                    });
                    prop_assert!(covers_business_robbery, "{:?}", crime);
                    prop_assert!(crime.rules.iter().any(|r| r.starts_with("Robbery (34A)")), "{:?}", crime.rules);
                }
            }
        }
        prop_assert_eq!(seen.len(), case.offences.len());
        // No crime mixes victims, and one victim's offences in one report are one crime; the
        // one exception is a course of conduct (stalking, harassment), counted beside them.
        let course = |c: &controlroom_domain::hocr::Crime| {
            controlroom_domain::hocr::COURSE_OF_CONDUCT.contains(&c.class.as_str())
        };
        for crime in &counted.crimes {
            let reports: BTreeSet<&str> = case.offences.iter().filter(|o| crime.offences.contains(&o.id)).map(|o| o.report.as_str()).collect();
            let victim = &crime.victims[0];
            for other in counted.crimes.iter().filter(|c| !std::ptr::eq(*c, crime) && &c.victims[0] == victim && course(c) == course(crime)) {
                let other_reports: BTreeSet<&str> = case.offences.iter().filter(|o| other.offences.contains(&o.id)).map(|o| o.report.as_str()).collect();
                prop_assert!(reports.is_disjoint(&other_reports), "one victim's report split across two crimes");
            }
        }
    }
}
