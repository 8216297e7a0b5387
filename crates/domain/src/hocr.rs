//! The counting-rules engine: from the facts a crime recorder has, the crimes the Home Office
//! Counting Rules require, each with the rules applied in words a recorder can check.
//!
//! Implemented from the HOCR General Rules: Section D (one crime per victim), Section E (the
//! Finished Incident Rule) and Section F (the Principal Crime Rule, with the seriousness order
//! in `reference/offence-classifications.psv`, interim until the Annex C table is entered).
//! Offences with no individual victim are counted once per classification per occasion.
//! Crime-type exceptions are implemented one by one, each citing its HOCR page: robbery of
//! business property counts the injuries done in it (`injuries_in_business_robberies`), and
//! a course of conduct is recorded beside the most serious other offence
//! ([`COURSE_OF_CONDUCT`]), and brothel keeping is one crime per offender or group
//! ([`PER_OFFENDER_OR_GROUP`]). Other offences always recorded in addition are not yet
//! implemented (see ARCHITECTURE.md).

use crate::reference::{ReferenceData, VictimKind};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Report {
    pub id: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Victim {
    pub id: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Offender {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Offence {
    pub id: String,
    pub class: String,
    pub victim: Option<String>,
    #[serde(default)]
    pub offenders: Vec<String>,
    pub at: Option<Timestamp>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub place: Option<String>,
    pub report: String,
}

impl Offence {
    /// When it ended (the `to` of a period, or its moment).
    fn ended(&self) -> Option<Timestamp> {
        self.to.or(self.at)
    }
}

/// The facts of a case, as in `../shared/domain/hocr-cases/FORMAT.md`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Case {
    pub id: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub reports: Vec<Report>,
    #[serde(default)]
    pub victims: Vec<Victim>,
    #[serde(default)]
    pub offenders: Vec<Offender>,
    pub offences: Vec<Offence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crime {
    pub class: String,
    pub victims: Vec<String>,
    pub offences: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotRecorded {
    pub offence: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Counted {
    pub crimes: Vec<Crime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_recorded: Vec<NotRecorded>,
}

/// A case that cannot be counted: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("case {case}: {problem}")]
pub struct CaseError {
    pub case: String,
    pub problem: String,
}

fn check(case: &Case, reference: &ReferenceData) -> Result<(), CaseError> {
    let fail = |problem: String| {
        Err(CaseError {
            case: case.id.clone(),
            problem,
        })
    };
    let mut ids = BTreeSet::new();
    for id in case
        .reports
        .iter()
        .map(|r| &r.id)
        .chain(case.victims.iter().map(|v| &v.id))
        .chain(case.offenders.iter().map(|o| &o.id))
        .chain(case.offences.iter().map(|o| &o.id))
    {
        if !ids.insert(id.as_str()) {
            return fail(format!("the id {id} is used twice"));
        }
    }
    for v in &case.victims {
        if !matches!(v.kind.as_str(), "person" | "organisation") {
            return fail(format!(
                "victim {} has kind '{}': use person or organisation",
                v.id, v.kind
            ));
        }
    }
    if case.offences.is_empty() {
        return fail("there are no offences".into());
    }
    for o in &case.offences {
        let Some(class) = reference.offence(&o.class) else {
            return fail(format!(
                "offence {} has the classification '{}', which is not a notifiable offence code",
                o.id, o.class
            ));
        };
        match &o.victim {
            Some(v) if !case.victims.iter().any(|x| &x.id == v) => {
                return fail(format!(
                    "offence {} names victim {v}, who is not in the case",
                    o.id
                ));
            }
            None if class.victim != VictimKind::None => {
                return fail(format!(
                    "offence {} ({} {}) needs a victim",
                    o.id, class.code, class.name
                ));
            }
            _ => {}
        }
        if let Some(s) = o
            .offenders
            .iter()
            .find(|s| !case.offenders.iter().any(|x| &&x.id == s))
        {
            return fail(format!(
                "offence {} names offender {s}, who is not in the case",
                o.id
            ));
        }
        if !case.reports.iter().any(|r| r.id == o.report) {
            return fail(format!(
                "offence {} names report {}, which is not in the case",
                o.id, o.report
            ));
        }
        if o.at.is_none() && (o.from.is_none() || o.to.is_none()) {
            return fail(format!("offence {} needs 'at', or 'from' and 'to'", o.id));
        }
        let reported = case.reports.iter().find(|r| r.id == o.report).map(|r| r.at);
        if o.from
            .or(o.at)
            .zip(reported)
            .is_some_and(|(began, at)| began > at)
        {
            return fail(format!(
                "offence {} began after report {} that tells of it",
                o.id, o.report
            ));
        }
    }
    Ok(())
}

/// HOCR, Robbery, class 34A (Robbery of Business Property): "If people are injured immediately
/// before or at the time of the robbery, count the robbery only" (Example: three people are
/// wounded during a robbery of a post office: one crime of robbery, class 34A).
const BUSINESS_ROBBERY: &str = "34A";
/// The injury classifications that rule absorbs: assault with injury and its aggravated and
/// constable forms, and assault with intent to cause serious harm (wounding).
const ROBBERY_ABSORBED_INJURIES: &[&str] = &["5D", "8N", "8P", "8S"];
const ROBBERY_INJURY_RULE: &str = "Robbery (34A): injuries to people immediately before or at the time of the robbery are counted in the robbery only";

/// Course-of-conduct offences: harassment (8L), racially or religiously aggravated harassment
/// (8M), stalking (8Q) and controlling or coercive behaviour (8U). HOCR Violence against the
/// Person, Stalking and Harassment (rules in force since April 2018, as HMICFRS crime data
/// integrity reports summarise them): the course of conduct is one crime per victim, and it is
/// recorded in addition to the most serious other offence against that victim, so the
/// Principal Crime Rule neither absorbs it nor lets it absorb the other offences.
pub const COURSE_OF_CONDUCT: &[&str] = &["8L", "8M", "8Q", "8U"];
const COURSE_OF_CONDUCT_RULE: &str = "Stalking and harassment: a course of conduct is one crime for the victim, recorded in addition to the most serious other offence (exception to Section F)";

/// Classes counted once for each offender or group of offenders acting together, not once
/// per report: HOCR April 2021, Miscellaneous Crimes Against Society, 24 Exploitation of
/// Prostitution, "Keeping a brothel used for prostitution: One crime for each offender or
/// group of offenders" (24/19).
pub const PER_OFFENDER_OR_GROUP: &[&str] = &["24/19"];

/// When an offence happened: its period, or its moment.
fn span(o: &Offence) -> Option<(Timestamp, Timestamp)> {
    Some((o.from.or(o.at)?, o.to.or(o.at)?))
}

/// Injuries absorbed by a robbery of business property (HOCR Robbery, 34A): for each 34A
/// offence, the injury offences in the same report, at the same place and overlapping it in
/// time. Each injury goes to the first such robbery only.
fn injuries_in_business_robberies<'a>(
    case: &'a Case,
    reference: &ReferenceData,
) -> BTreeMap<&'a str, Vec<&'a Offence>> {
    let code = |o: &Offence| reference.offence(&o.class).map(|c| c.code.to_string());
    let mut absorbed: BTreeMap<&str, Vec<&Offence>> = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for robbery in case
        .offences
        .iter()
        .filter(|o| code(o).as_deref() == Some(BUSINESS_ROBBERY))
    {
        let (Some(place), Some((began, ended))) = (&robbery.place, span(robbery)) else {
            continue;
        };
        for injury in case.offences.iter().filter(|o| {
            code(o).is_some_and(|c| ROBBERY_ABSORBED_INJURIES.contains(&c.as_str()))
                && o.report == robbery.report
                && o.place.as_ref() == Some(place)
                && o.victim.is_some()
                && o.victim != robbery.victim
                && span(o).is_some_and(|(b, e)| b <= ended && began <= e)
        }) {
            if taken.insert(injury.id.as_str()) {
                absorbed
                    .entry(robbery.id.as_str())
                    .or_default()
                    .push(injury);
            }
        }
    }
    absorbed
}

/// Count the crimes in a case.
pub fn count(case: &Case, reference: &ReferenceData) -> Result<Counted, CaseError> {
    check(case, reference)?;
    let report_at: BTreeMap<&str, Timestamp> =
        case.reports.iter().map(|r| (r.id.as_str(), r.at)).collect();
    let seriousness = |o: &Offence| reference.offence(&o.class).map_or(0, |c| c.seriousness);
    let mut counted = Counted::default();
    let robbery_injuries = injuries_in_business_robberies(case, reference);
    let absorbed: BTreeSet<&str> = robbery_injuries
        .values()
        .flatten()
        .map(|o| o.id.as_str())
        .collect();

    // Section D: one crime per victim. Victims' offences are counted apart.
    let mut by_victim: BTreeMap<&str, Vec<&Offence>> = BTreeMap::new();
    // Keyed by classification, report and (for the classes counted per offender or group)
    // the offenders who acted together.
    let mut victimless: BTreeMap<(String, &str, Vec<&str>), Vec<&Offence>> = BTreeMap::new();
    for o in case
        .offences
        .iter()
        .filter(|o| !absorbed.contains(o.id.as_str()))
    {
        match &o.victim {
            Some(v) => by_victim.entry(v.as_str()).or_default().push(o),
            None => {
                let class = reference
                    .offence(&o.class)
                    .map(|c| c.code.to_string())
                    .unwrap_or_default();
                let group = if PER_OFFENDER_OR_GROUP.contains(&class.as_str()) {
                    let mut group: Vec<&str> = o.offenders.iter().map(String::as_str).collect();
                    group.sort_unstable();
                    group
                } else {
                    Vec::new()
                };
                victimless
                    .entry((class, o.report.as_str(), group))
                    .or_default()
                    .push(o)
            }
        }
    }

    for (victim, mut offences) in by_victim {
        offences.sort_by_key(|o| (o.ended(), o.id.clone()));
        // Section E: an incident is finished once it is reported to the police; offences
        // against the victim after that report are a new incident.
        let mut incidents: Vec<Vec<&Offence>> = Vec::new();
        for o in offences {
            let joins = incidents.last().is_some_and(|current| {
                current.iter().any(|earlier| {
                    let reported = report_at.get(earlier.report.as_str()).copied();
                    earlier.report == o.report
                        || o.ended().zip(reported).is_some_and(|(at, r)| at <= r)
                })
            });
            match incidents.last_mut() {
                Some(current) if joins => current.push(o),
                _ => incidents.push(vec![o]),
            }
        }
        let several_incidents = incidents.len() > 1;
        // The course of conduct is counted beside the other offences, not inside them.
        let is_course = |o: &&Offence| {
            reference
                .offence(&o.class)
                .is_some_and(|c| COURSE_OF_CONDUCT.contains(&c.code.as_str()))
        };
        let incidents: Vec<(Vec<&Offence>, bool)> = incidents
            .into_iter()
            .flat_map(|incident| {
                let (course, other): (Vec<&Offence>, Vec<&Offence>) =
                    incident.into_iter().partition(is_course);
                let both = !course.is_empty() && !other.is_empty();
                [(other, both), (course, both)]
            })
            .filter(|(offences, _)| !offences.is_empty())
            .collect();
        for (incident, split) in incidents {
            // Section F: one crime for the incident, of the most serious offence in it.
            let Some(principal) = incident
                .iter()
                .copied()
                .max_by_key(|o| (seriousness(o), std::cmp::Reverse(o.id.clone())))
            else {
                continue;
            };
            let class = reference
                .offence(&principal.class)
                .map(|c| c.code.to_string())
                .unwrap_or_else(|| principal.class.clone());
            let mut rules = vec![format!("Section D: one crime for victim {victim}")];
            if several_incidents {
                rules.push("Section E: a new incident after the earlier one was reported (Finished Incident Rule)".into());
            } else {
                rules.push("Section E: one finished incident".into());
            }
            if split && is_course(&principal) {
                rules.push(COURSE_OF_CONDUCT_RULE.into());
            }
            if incident.len() > 1 {
                let absorbed: Vec<String> = incident
                    .iter()
                    .filter(|o| o.id != principal.id)
                    .map(|o| format!("{} ({})", o.id, o.class))
                    .collect();
                rules.push(format!(
                    "Section F: principal crime {class}; also covers {}",
                    absorbed.join(", ")
                ));
            }
            let mut ids: Vec<String> = incident.iter().map(|o| o.id.clone()).collect();
            let injuries: Vec<&Offence> = incident
                .iter()
                .filter_map(|o| robbery_injuries.get(o.id.as_str()))
                .flatten()
                .copied()
                .collect();
            if !injuries.is_empty() {
                let covered: Vec<String> = injuries
                    .iter()
                    .map(|o| format!("{} ({})", o.id, o.class))
                    .collect();
                rules.push(format!(
                    "{ROBBERY_INJURY_RULE}; covers {}",
                    covered.join(", ")
                ));
                ids.extend(injuries.iter().map(|o| o.id.clone()));
            }
            ids.sort();
            counted.crimes.push(Crime {
                class,
                victims: vec![victim.to_owned()],
                offences: ids,
                rules,
            });
        }
    }

    for ((class, report, group), offences) in victimless {
        let mut ids: Vec<String> = offences.iter().map(|o| o.id.clone()).collect();
        ids.sort();
        let rule = if PER_OFFENDER_OR_GROUP.contains(&class.as_str()) {
            let who = if group.is_empty() {
                "offenders not known".to_owned()
            } else {
                group.join(", ")
            };
            format!(
                "{class}: one crime for each offender or group of offenders ({who}) in report {report}"
            )
        } else {
            format!(
                "Section D: no individual victim; one crime for the classification in report {report}"
            )
        };
        counted.crimes.push(Crime {
            class,
            victims: Vec::new(),
            offences: ids,
            rules: vec![rule],
        });
    }
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::tests::shipped;

    fn reference() -> ReferenceData {
        ReferenceData::load(&shipped()).unwrap()
    }

    fn case(json: &str) -> Case {
        serde_json::from_str(json).unwrap()
    }

    /// The case in `json`, counted against the shipped reference data.
    fn counted(json: &str) -> Counted {
        count(&case(json), &reference()).unwrap()
    }

    /// The crimes counted, as (classification, offences) in order, are `expected`.
    fn assert_classes(c: &Counted, expected: &[(&str, &[&str])]) {
        let mut got: Vec<_> = c
            .crimes
            .iter()
            .map(|c| (c.class.as_str(), c.offences.clone()))
            .collect();
        got.sort();
        let expected: Vec<_> = expected
            .iter()
            .map(|(class, offences)| (*class, offences.iter().map(|o| o.to_string()).collect()))
            .collect();
        assert_eq!(got, expected, "{c:?}");
    }

    /// Whether one of the rules the crime was counted under passes `test`.
    fn any_rule(crime: &Crime, test: impl Fn(&str) -> bool) -> bool {
        crime.rules.iter().any(|r| test(r))
    }

    const TWO_VICTIMS: &str = r#"{"id":"d","reports":[{"id":"R1","at":"2026-03-01T23:20:00Z"}],
        "victims":[{"id":"V1","kind":"person"},{"id":"V2","kind":"person"}],"offenders":[{"id":"S1"}],
        "offences":[{"id":"F1","class":"8N","victim":"V1","offenders":["S1"],"at":"2026-03-01T23:10:00Z","place":"P1","report":"R1"},
                    {"id":"F2","class":"8N","victim":"V2","offenders":["S1"],"at":"2026-03-01T23:10:00Z","place":"P1","report":"R1"}]}"#;

    // HOCR General Rules, Section D: one crime for each victim.
    #[test]
    fn section_d_one_crime_per_victim() {
        let c = counted(TWO_VICTIMS);
        assert_classes(&c, &[("8N", &["F1"]), ("8N", &["F2"])]);
        assert!(c.crimes[0].rules[0].starts_with("Section D"));
    }

    // Stalking and harassment: the course of conduct is recorded in addition to the most
    // serious other offence, which still absorbs the lesser ones (Section F).
    #[test]
    fn a_course_of_conduct_is_recorded_beside_the_most_serious_other_offence() {
        let json = r#"{"id":"s","reports":[{"id":"R1","at":"2026-05-10T09:00:00Z"}],
            "victims":[{"id":"V1","kind":"person"}],"offenders":[{"id":"S1"}],
            "offences":[{"id":"F1","class":"8Q","victim":"V1","offenders":["S1"],"from":"2026-03-01T00:00:00Z","to":"2026-05-09T22:00:00Z","place":"P1","report":"R1"},
                        {"id":"F2","class":"105A","victim":"V1","offenders":["S1"],"at":"2026-05-09T21:00:00Z","place":"P1","report":"R1"},
                        {"id":"F3","class":"8N","victim":"V1","offenders":["S1"],"at":"2026-05-09T22:00:00Z","place":"P1","report":"R1"}]}"#;
        let c = counted(json);
        assert_classes(&c, &[("8N", &["F2", "F3"]), ("8Q", &["F1"])]);
        let stalking = c.crimes.iter().find(|c| c.class == "8Q").unwrap();
        assert!(any_rule(stalking, |r| r.contains("course of conduct")));
    }

    // Harassment alone, or two course-of-conduct classes together: still one crime (the more
    // serious course), and nothing else changes.
    #[test]
    fn a_course_of_conduct_alone_is_one_crime() {
        let json = r#"{"id":"h","reports":[{"id":"R1","at":"2026-05-10T09:00:00Z"}],
            "victims":[{"id":"V1","kind":"person"}],"offenders":[{"id":"S1"}],
            "offences":[{"id":"F1","class":"8L","victim":"V1","offenders":["S1"],"from":"2026-04-01T00:00:00Z","to":"2026-05-01T00:00:00Z","place":"P1","report":"R1"},
                        {"id":"F2","class":"8U","victim":"V1","offenders":["S1"],"from":"2026-01-01T00:00:00Z","to":"2026-05-09T00:00:00Z","place":"P1","report":"R1"}]}"#;
        let c = counted(json);
        assert_eq!(c.crimes.len(), 1, "{c:?}");
        assert_eq!(c.crimes[0].offences, ["F1", "F2"]);
        assert!(!any_rule(&c.crimes[0], |r| r.contains("course of conduct")));
    }

    // Brothel keeping (24/19): one crime for each offender or group of offenders, so two
    // keepers acting together are one crime and a keeper of another brothel is another.
    #[test]
    fn brothel_keeping_is_one_crime_per_offender_or_group() {
        let json = r#"{"id":"b","reports":[{"id":"R1","at":"2026-07-01T10:00:00Z"}],
            "victims":[],"offenders":[{"id":"S1"},{"id":"S2"},{"id":"S3"}],
            "offences":[{"id":"F1","class":"24/19","victim":null,"offenders":["S1","S2"],"from":"2026-05-01T00:00:00Z","to":"2026-06-30T00:00:00Z","place":"P1","report":"R1"},
                        {"id":"F2","class":"24/19","victim":null,"offenders":["S2","S1"],"from":"2026-05-01T00:00:00Z","to":"2026-06-30T00:00:00Z","place":"P1","report":"R1"},
                        {"id":"F3","class":"24/19","victim":null,"offenders":["S3"],"from":"2026-06-01T00:00:00Z","to":"2026-06-30T00:00:00Z","place":"P2","report":"R1"}]}"#;
        let c = counted(json);
        assert_classes(&c, &[("24/19", &["F1", "F2"]), ("24/19", &["F3"])]);
        assert!(
            c.crimes
                .iter()
                .all(|c| c.rules[0].contains("offender or group"))
        );
    }

    // HOCR General Rules, Section E: after a report the incident is finished.
    #[test]
    fn section_e_a_new_incident_after_a_report() {
        let json = r#"{"id":"e","reports":[{"id":"R1","at":"2026-04-02T10:30:00Z"},{"id":"R2","at":"2026-04-03T18:05:00Z"}],
            "victims":[{"id":"V1","kind":"person"}],"offenders":[{"id":"S1"}],
            "offences":[{"id":"F1","class":"105A","victim":"V1","offenders":["S1"],"at":"2026-04-02T10:00:00Z","place":"P1","report":"R1"},
                        {"id":"F2","class":"8N","victim":"V1","offenders":["S1"],"at":"2026-04-03T17:50:00Z","place":"P1","report":"R2"}]}"#;
        let c = counted(json);
        assert_classes(&c, &[("105A", &["F1"]), ("8N", &["F2"])]);
        // The same two offences reported together are one finished incident: one crime, 8N.
        let together = json
            .replace(r#""report":"R2""#, r#""report":"R1""#)
            .replace("2026-04-03T17:50:00Z", "2026-04-02T10:05:00Z");
        let c = counted(&together);
        assert_classes(&c, &[("8N", &["F1", "F2"])]);
    }

    // HOCR General Rules, Section F: the most serious offence in the incident is recorded.
    #[test]
    fn section_f_the_principal_crime_absorbs_the_rest() {
        let json = r#"{"id":"f","reports":[{"id":"R1","at":"2026-05-10T22:40:00Z"}],"victims":[{"id":"V1","kind":"person"}],"offenders":[{"id":"S1"}],
            "offences":[{"id":"F1","class":"34B","victim":"V1","offenders":["S1"],"at":"2026-05-10T22:30:00Z","place":"P1","report":"R1"},
                        {"id":"F2","class":"8N","victim":"V1","offenders":["S1"],"at":"2026-05-10T22:30:00Z","place":"P1","report":"R1"}]}"#;
        let c = counted(json);
        assert_classes(&c, &[("34B", &["F1", "F2"])]);
        assert!(any_rule(&c.crimes[0], |r| r
            .starts_with("Section F: principal crime 34B")));
    }

    // HOCR Robbery, 34A: "If people are injured immediately before or at the time of the
    // robbery, count the robbery only" (three people wounded in a post office robbery: one 34A).
    #[test]
    fn robbery_of_business_property_counts_injuries_in_the_robbery_only() {
        let json = r#"{"id":"r","reports":[{"id":"R1","at":"2026-06-01T12:30:00Z"}],
            "victims":[{"id":"V1","kind":"organisation"},{"id":"V2","kind":"person"},{"id":"V3","kind":"person"}],"offenders":[{"id":"S1"}],
            "offences":[{"id":"F1","class":"34A","victim":"V1","offenders":["S1"],"at":"2026-06-01T12:00:00Z","place":"P1","report":"R1"},
                        {"id":"F2","class":"8N","victim":"V2","offenders":["S1"],"at":"2026-06-01T12:00:00Z","place":"P1","report":"R1"},
                        {"id":"F3","class":"8N","victim":"V3","offenders":["S1"],"at":"2026-06-01T12:00:00Z","place":"P1","report":"R1"}]}"#;
        let c = counted(json);
        assert_classes(&c, &[("34A", &["F1", "F2", "F3"])]);
        assert!(any_rule(&c.crimes[0], |r| r.starts_with("Robbery (34A): injuries")));
        // An injury somewhere else is not part of the robbery: it is counted on its own.
        let elsewhere = json.replacen(
            r#""victim":"V3","offenders":["S1"],"at":"2026-06-01T12:00:00Z","place":"P1""#,
            r#""victim":"V3","offenders":["S1"],"at":"2026-06-01T12:00:00Z","place":"P2""#,
            1,
        );
        let c = counted(&elsewhere);
        assert_classes(&c, &[("34A", &["F1", "F2"]), ("8N", &["F3"])]);
    }

    #[test]
    fn offences_without_a_victim_count_once_per_classification_per_report() {
        let json = r#"{"id":"n","reports":[{"id":"R1","at":"2026-05-10T22:40:00Z"}],"offenders":[{"id":"S1"}],
            "offences":[{"id":"F1","class":"92E","victim":null,"offenders":["S1"],"at":"2026-05-10T22:30:00Z","report":"R1"}]}"#;
        let reference = reference();
        if reference.offence("92E").is_none() {
            return; // the code list differs: nothing to check
        }
        let c = count(&case(json), &reference).unwrap();
        assert_eq!(c.crimes.len(), 1);
        assert!(c.crimes[0].victims.is_empty());
    }

    #[test]
    fn inconsistent_cases_name_the_problem() {
        let r = reference();
        let cases = [
            (
                r#""class":"8N","victim":"V2""#,
                r#""class":"ZZ9","victim":"V2""#,
                "'ZZ9', which is not a notifiable offence code",
            ),
            (
                r#""victim":"V2""#,
                r#""victim":"V9""#,
                "names victim V9, who is not in the case",
            ),
            (r#""report":"R1"}]}"#, r#""report":"R7"}]}"#, "report R7"),
            (
                r#""offenders":["S1"],"at":"2026-03-01T23:10:00Z","place":"P1","report":"R1"}]}"#,
                r#""offenders":["S2"],"at":"2026-03-01T23:10:00Z","place":"P1","report":"R1"}]}"#,
                "offender S2",
            ),
        ];
        for (from, to, problem) in cases {
            let err = count(&case(&TWO_VICTIMS.replace(from, to)), &r).unwrap_err();
            assert!(err.problem.contains(problem), "{err}");
        }
    }
}
