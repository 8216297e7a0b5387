//! The counting-rules engine: from the facts a crime recorder has, the crimes the Home Office
//! Counting Rules require, each with the rules applied and the edition, in words a recorder
//! can check.
//!
//! The rules are dated data (`hocr/rules.rs`: each rule's edition, effective dates and
//! source): a count applies the rules in force on the day of the recording decision, or of
//! the case's latest report (`count_at`). Implemented: Section D (one crime per victim;
//! offences with no individual victim one crime per offender or group per occasion), Section
//! E (the Finished Incident Rule, for the same offender or group), Section F (the Principal
//! Crime Rule, also for offences with no individual victim, ranked by a force's Annex C table
//! when loaded, else by the maximum sentence in `reference/offence-classifications.psv`), and
//! the crime-type rules: robbery of business property absorbs assaults and threats on staff,
//! a course of conduct recorded in addition until the April 2023 changes and under the
//! Principal Crime Rule since, modern slavery recorded in addition, fraud referred to Action
//! Fraud, sexual offences one crime per victim per offender, arson endangering life one crime
//! per intended owner.

mod rules;

pub use rules::{
    COURSE_OF_CONDUCT, EDITIONS, Edition, PER_OFFENDER_OR_GROUP, RULES, Rule, RuleId, edition_on,
    in_force,
};

use crate::reference::{MaxSentence, ReferenceData, VictimKind};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
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
    /// When the recording decision is made, if the case gives it: the rules in force that
    /// day are applied (`count_at`). Not part of FORMAT.md's facts; a caller may add it.
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
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

/// The edition of the counting rules a count applied, and the day whose rules those are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionUsed {
    pub name: String,
    /// The first day the edition was in force.
    pub in_force_from: Date,
    /// The day the next edition carried replaced it, if one has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_from: Option<Date>,
    /// The day (UK time) whose rules were applied.
    pub rules_of: Date,
    /// What that day is: the recording decision, or the latest report when no decision
    /// date was given.
    pub dated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Counted {
    pub crimes: Vec<Crime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_recorded: Vec<NotRecorded>,
    /// The edition applied; always given by the engine (absent only in the `expected` block
    /// of a case file, which states crimes, not editions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<EditionUsed>,
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

/// Offences without an individual victim are one occasion when the police learnt of them in
/// one report, at one place, and with no more than this between them. The HOCR gives no
/// figure; this is the project's reading of "the same occasion" (possession with intent to
/// supply and possession found in one search are one occasion; supplies a week apart are not).
const OCCASION_GAP: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// When an offence happened: its period, or its moment.
fn span(o: &Offence) -> Option<(Timestamp, Timestamp)> {
    Some((o.from.or(o.at)?, o.to.or(o.at)?))
}

/// Whether two offences' times overlap (a moment inside a period, or the same moment).
fn overlap(a: &Offence, b: &Offence) -> bool {
    match (span(a), span(b)) {
        (Some((a0, a1)), Some((b0, b1))) => a0 <= b1 && b0 <= a1,
        _ => false,
    }
}

/// Whether two offences are no more than `gap` apart in time.
fn within(a: &Offence, b: &Offence, gap: jiff::SignedDuration) -> bool {
    match (span(a), span(b)) {
        (Some((a0, a1)), Some((b0, b1))) => {
            a0.duration_until(b1) >= -gap && b0.duration_until(a1) >= -gap
        }
        _ => false,
    }
}

/// Whether two offences share an offender (they were committed by the same person or group).
fn same_offenders(a: &Offence, b: &Offence) -> bool {
    a.offenders.iter().any(|s| b.offenders.contains(s))
}

/// Whether nothing tells two offences' offenders apart: they share one, or either has none
/// known.
fn offenders_may_match(a: &Offence, b: &Offence) -> bool {
    a.offenders.is_empty() || b.offenders.is_empty() || same_offenders(a, b)
}

/// The connected groups of `items` under `linked` (kept in the order of their first item).
fn components(
    items: Vec<&Offence>,
    linked: impl Fn(&Offence, &Offence) -> bool,
) -> Vec<Vec<&Offence>> {
    let mut groups: Vec<Vec<&Offence>> = Vec::new();
    for o in items {
        let (joined, mut rest): (Vec<_>, Vec<_>) = groups
            .into_iter()
            .partition(|g| g.iter().any(|other| linked(o, other)));
        let position = rest.len();
        let mut merged: Vec<&Offence> = joined.into_iter().flatten().collect();
        merged.push(o);
        rest.insert(position, merged);
        groups = rest;
    }
    groups.sort_by_key(|g| g.iter().map(|o| o.id.clone()).min());
    groups
}

/// How the Principal Crime Rule ranks an offence (HOCR General Rules, Section F): by the
/// force's Annex C table when it lists the class (1 the most serious), else by maximum
/// sentence; classes of equal maximum by the interim order of the reference file. Never by
/// the order the offences were given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    annex_c: Option<std::cmp::Reverse<u32>>,
    sentence: MaxSentence,
    interim: u16,
}

/// A count in progress: the case, the reference data and the day whose rules apply.
struct Counter<'a> {
    case: &'a Case,
    reference: &'a ReferenceData,
    day: Date,
    edition: &'static Edition,
    report_at: BTreeMap<&'a str, Timestamp>,
}

impl<'a> Counter<'a> {
    /// The classification as the reference data writes it.
    fn code(&self, o: &Offence) -> String {
        self.reference
            .offence(&o.class)
            .map_or_else(|| o.class.clone(), |c| c.code.to_string())
    }

    /// The rule `id` if it is in force on the day.
    fn rule(&self, id: RuleId) -> Option<&'static Rule> {
        rules::in_force(id, self.day)
    }

    /// Whether the rule `id` is in force and concerns the offence's class.
    fn applies(&self, id: RuleId, o: &Offence) -> bool {
        self.rule(id).is_some_and(|r| r.concerns(&self.code(o)))
    }

    /// `text`, citing the edition the rule `id` comes from.
    fn cite(&self, id: RuleId, text: impl std::fmt::Display) -> String {
        match rules::rule(id) {
            Some(r) => format!("{text} [{}]", r.edition),
            None => text.to_string(),
        }
    }

    /// The line every explanation ends with: the edition applied and why that one.
    fn edition_line(&self, dated_by: &str) -> String {
        format!(
            "Edition: {} (the rules in force on {}, the day of {dated_by})",
            self.edition.name, self.day
        )
    }

    fn rank(&self, o: &Offence) -> Rank {
        let class = self.reference.offence(&o.class);
        Rank {
            annex_c: self
                .reference
                .principal_crime_position(&o.class)
                .map(|e| std::cmp::Reverse(e.position)),
            sentence: class.map_or(MaxSentence::Unknown, |c| c.max_sentence),
            interim: class.map_or(0, |c| c.seriousness),
        }
    }

    /// Section F: the most serious offence. Offences of one rank are of the same class in
    /// practice; among those the earliest is named, then the lowest id, so the answer does
    /// not depend on the order the offences were given in.
    fn principal<'o>(&self, offences: &[&'o Offence]) -> Option<&'o Offence> {
        offences.iter().copied().max_by(|a, b| {
            self.rank(a)
                .cmp(&self.rank(b))
                .then_with(|| self.code(b).cmp(&self.code(a)))
                .then_with(|| span(b).cmp(&span(a)))
                .then_with(|| b.id.cmp(&a.id))
        })
    }

    /// An offence as an explanation names it: id, class and what ranked it.
    fn describe(&self, o: &Offence) -> String {
        let code = self.code(o);
        match (
            self.reference.principal_crime_position(&o.class),
            self.reference.offence(&o.class),
        ) {
            (Some(annex), _) => format!("{} ({code}, Annex C position {})", o.id, annex.position),
            (None, Some(class)) => format!("{} ({code}, {})", o.id, class.max_sentence),
            (None, None) => format!("{} ({code})", o.id),
        }
    }

    /// Section F, in words: the principal crime, what ranked it, what it covers.
    fn principal_line(&self, id: RuleId, principal: &Offence, others: &[&Offence]) -> String {
        let code = self.code(principal);
        let why = match (
            self.reference.principal_crime_position(&principal.class),
            self.reference.offence(&principal.class),
        ) {
            (Some(annex), _) => format!("Annex C position {}: {}", annex.position, annex.source),
            (None, Some(class)) => format!(
                "maximum sentence {}, {}{}",
                class.max_sentence,
                class.statute,
                if class.sentence_verified {
                    ""
                } else {
                    " (unverified)"
                }
            ),
            (None, None) => "not ranked".to_owned(),
        };
        let tie = others.iter().any(|o| {
            self.rank(o).annex_c.is_none()
                && self.rank(o).sentence == self.rank(principal).sentence
                && self.code(o) != code
        });
        let covered: Vec<String> = others.iter().map(|o| self.describe(o)).collect();
        self.cite(
            id,
            format!(
                "Section F: principal crime {code} ({why}){}; also covers {}",
                if tie {
                    "; equal maximum sentence, ranked by the interim order"
                } else {
                    ""
                },
                covered.join(", ")
            ),
        )
    }

    /// HOCR Fraud: the offences Action Fraud records, not the police, each with the reason;
    /// and the rest. A theft of the card used is not fraud and stays with the police.
    fn refer_to_action_fraud(
        &self,
        offences: Vec<&'a Offence>,
    ) -> (Vec<NotRecorded>, Vec<&'a Offence>) {
        let (fraud, rest): (Vec<_>, Vec<_>) = offences
            .into_iter()
            .partition(|o| self.applies(RuleId::ReferToActionFraud, o));
        let referred = fraud
            .into_iter()
            .map(|o| {
                let name = self
                    .reference
                    .offence(&o.class)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                NotRecorded {
                    offence: o.id.clone(),
                    reason: self.cite(
                        RuleId::ReferToActionFraud,
                        format!(
                            "not recorded by the police: refer to Action Fraud ({} {name} is recorded by Action Fraud for the National Fraud Intelligence Bureau; the police record only its outcome). {}",
                            self.code(o),
                            self.edition_line("the decision")
                        ),
                    ),
                }
            })
            .collect();
        (referred, rest)
    }

    /// HOCR Robbery, 34A: the assaults and threats done to staff and others in the course of
    /// a robbery of business property are counted in the robbery. "In the course of it": the
    /// same report, the same place, overlapping in time, by the same offenders (or offenders
    /// not known). Each absorbed offence goes to the first such robbery by id.
    fn absorbed_by_business_robberies(
        &self,
        offences: &[&'a Offence],
    ) -> Vec<(&'a str, &'a Offence)> {
        let mut taken = BTreeSet::new();
        let mut absorbed = Vec::new();
        let mut robberies: Vec<&Offence> = offences
            .iter()
            .copied()
            .filter(|o| self.applies(RuleId::BusinessRobbery, o))
            .collect();
        robberies.sort_by(|a, b| a.id.cmp(&b.id));
        for robbery in robberies {
            let Some(place) = &robbery.place else {
                continue;
            };
            for o in offences.iter().copied().filter(|o| {
                rules::ROBBERY_ABSORBS.contains(&self.code(o).as_str())
                    && o.report == robbery.report
                    && o.place.as_ref() == Some(place)
                    && o.victim != robbery.victim
                    && overlap(o, robbery)
                    && offenders_may_match(o, robbery)
            }) {
                if taken.insert(o.id.as_str()) {
                    absorbed.push((robbery.id.as_str(), o));
                }
            }
        }
        absorbed
    }

    /// HOCR Arson, 56A: one crime for each specific, intended owner, not for each property
    /// the fire reaches. The facts carry no intent, so a fire is read from them: damage by
    /// fire or otherwise (56A, 56B, 58A-58D) in one report, by the same offenders (or none
    /// known), overlapping in time, with at least one arson endangering life in it. Its
    /// intended owner is the victim of the arson endangering life that began first (then
    /// ended first, then lowest id); the damage to other owners' property is counted in it.
    fn absorbed_by_arson(&self, offences: &[&'a Offence]) -> Vec<(&'a str, &'a Offence)> {
        let candidates: Vec<&Offence> = offences
            .iter()
            .copied()
            .filter(|o| rules::ARSON_ABSORBS.contains(&self.code(o).as_str()))
            .collect();
        let fires = components(candidates, |a, b| {
            a.report == b.report && offenders_may_match(a, b) && overlap(a, b)
        });
        let mut absorbed = Vec::new();
        for fire in fires {
            let origin = fire
                .iter()
                .copied()
                .filter(|o| self.applies(RuleId::ArsonPerIntendedOwner, o))
                .min_by(|a, b| span(a).cmp(&span(b)).then_with(|| a.id.cmp(&b.id)));
            let Some(origin) = origin else {
                continue;
            };
            for o in fire.iter().copied().filter(|o| o.victim != origin.victim) {
                absorbed.push((origin.id.as_str(), o));
            }
        }
        absorbed
    }

    /// Section E needs the same offender or group: a victim's offences in groups whose
    /// offenders act together (offences sharing an offender, transitively). Offences with no
    /// offender known join the one group there is, or stand as a group of their own when
    /// there are several (nothing says whose they are).
    fn offender_groups(&self, offences: Vec<&'a Offence>) -> Vec<Vec<&'a Offence>> {
        let (known, unknown): (Vec<_>, Vec<_>) =
            offences.into_iter().partition(|o| !o.offenders.is_empty());
        let mut groups = components(known, same_offenders);
        match groups.as_mut_slice() {
            [] if !unknown.is_empty() => groups.push(unknown),
            [only] => only.extend(unknown),
            _ if !unknown.is_empty() => groups.push(unknown),
            _ => {}
        }
        groups
    }

    /// Section E: an incident is finished once it is reported to the police; the same
    /// offenders' offences against the victim after that report are a new incident.
    fn finished_incidents(&self, mut offences: Vec<&'a Offence>) -> Vec<Vec<&'a Offence>> {
        offences.sort_by_key(|o| (o.ended(), o.id.clone()));
        let mut incidents: Vec<Vec<&Offence>> = Vec::new();
        for o in offences {
            let joins = incidents.last().is_some_and(|current| {
                current.iter().any(|earlier| {
                    let reported = self.report_at.get(earlier.report.as_str()).copied();
                    earlier.report == o.report
                        || o.ended().zip(reported).is_some_and(|(at, r)| at <= r)
                })
            });
            match incidents.last_mut() {
                Some(current) if joins => current.push(o),
                _ => incidents.push(vec![o]),
            }
        }
        incidents
    }

    /// The Section F exceptions in force on the day: which rule, if any, records the
    /// offence in addition to the principal crime.
    fn in_addition_rule(&self, o: &Offence) -> Option<RuleId> {
        [RuleId::CourseOfConductInAddition, RuleId::AlwaysInAddition]
            .into_iter()
            .find(|id| self.applies(*id, o))
    }

    /// An incident in the parts counted apart: the offences under the Principal Crime Rule,
    /// then those of each "recorded in addition" rule in force (Section F exceptions).
    fn in_addition_parts(
        &self,
        incident: Vec<&'a Offence>,
    ) -> Vec<(Option<RuleId>, Vec<&'a Offence>)> {
        let mut parts: BTreeMap<Option<RuleId>, Vec<&Offence>> = BTreeMap::new();
        for o in incident {
            parts.entry(self.in_addition_rule(o)).or_default().push(o);
        }
        parts.into_iter().collect()
    }

    /// HOCR Sexual Offences: one crime for each victim for each offender. A part whose
    /// principal offence is sexual, with sexual offences by more than one offender, is split
    /// into one part per offender (an offence two offenders committed together is in both);
    /// the other offences go with the first part whose offender committed them, or the
    /// first part.
    fn per_sexual_offender(
        &self,
        part: Vec<&'a Offence>,
    ) -> Vec<(Option<String>, Vec<&'a Offence>)> {
        let sexual = |o: &Offence| self.applies(RuleId::SexualPerVictimPerOffender, o);
        let principal_is_sexual = self.principal(&part).is_some_and(sexual);
        let offenders: BTreeSet<&str> = part
            .iter()
            .filter(|o| sexual(o))
            .flat_map(|o| o.offenders.iter().map(String::as_str))
            .collect();
        if !principal_is_sexual || offenders.len() < 2 {
            return vec![(None, part)];
        }
        let mut split: Vec<(Option<String>, Vec<&Offence>)> = offenders
            .iter()
            .map(|s| {
                let own = part
                    .iter()
                    .copied()
                    .filter(|o| sexual(o) && o.offenders.iter().any(|x| x == s))
                    .collect();
                (Some((*s).to_owned()), own)
            })
            .collect();
        for o in part
            .iter()
            .copied()
            .filter(|o| !sexual(o) || o.offenders.is_empty())
        {
            let home = split
                .iter()
                .position(|(s, _)| s.as_ref().is_some_and(|s| o.offenders.contains(s)))
                .unwrap_or(0);
            if let Some((_, offences)) = split.get_mut(home) {
                offences.push(o);
            }
        }
        split
    }

    /// Offences without an individual victim, in occasions (Section D for such offences, as
    /// issue 16 states it: per occasion, not per report): the same place (or a place not
    /// given), within `OCCASION_GAP`, by the same offender or group, however many reports
    /// tell of it; offences with no offender known form their own occasion with each other.
    fn victimless_occasions(&self, offences: Vec<&'a Offence>) -> Vec<Vec<&'a Offence>> {
        components(offences, |a, b| {
            (a.place.is_none() || b.place.is_none() || a.place == b.place)
                && within(a, b, OCCASION_GAP)
                && (same_offenders(a, b) || (a.offenders.is_empty() && b.offenders.is_empty()))
        })
    }
}

/// Count the crimes in a case under the rules in force on the day of its recording decision
/// when the case gives one (`decided_at`), else of its latest report; see [`count_at`].
pub fn count(case: &Case, reference: &ReferenceData) -> Result<Counted, CaseError> {
    count_at(case, reference, case.decided_at)
}

/// Count the crimes in a case under the rules in force on the day of the recording decision
/// (`decided_at`), or when none is given, the day of the case's latest report (the decision
/// is due within 24 hours of it, HOCR General Rules Section A). The answer names the edition
/// applied, and every crime's explanation names its rules and that edition.
pub fn count_at(
    case: &Case,
    reference: &ReferenceData,
    decided_at: Option<Timestamp>,
) -> Result<Counted, CaseError> {
    check(case, reference)?;
    let fail = |problem: String| CaseError {
        case: case.id.clone(),
        problem,
    };
    let latest = case.reports.iter().map(|r| r.at).max();
    if let (Some(decided), Some(latest)) = (decided_at, latest)
        && decided < latest
    {
        return Err(fail(format!(
            "the recording decision ({decided}) is before the latest report ({latest})"
        )));
    }
    let (when, dated_by) = match decided_at {
        Some(at) => (Some(at), "the recording decision"),
        None => (latest, "the latest report"),
    };
    let Some(when) = when else {
        return Err(fail("there is no report to date the decision by".into()));
    };
    // The rules change on UK calendar days; the bundled time zone database always has
    // Europe/London, and UTC is at most an hour out if it ever did not.
    let uk = TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC);
    let day = when.to_zoned(uk).date();
    let Some(edition) = rules::edition_on(day) else {
        return Err(fail(format!(
            "no edition of the counting rules carried here was in force on {day} (the earliest is {}, from {})",
            rules::EDITIONS.first().map_or("none", |e| e.name),
            rules::EDITIONS.first().map_or(day, |e| e.from),
        )));
    };
    let counter = Counter {
        case,
        reference,
        day,
        edition,
        report_at: case.reports.iter().map(|r| (r.id.as_str(), r.at)).collect(),
    };
    let mut counted = counter.count(dated_by);
    counted.edition = Some(EditionUsed {
        name: edition.name.to_owned(),
        in_force_from: edition.from,
        replaced_from: rules::edition_until(edition),
        rules_of: day,
        dated_by: dated_by.to_owned(),
    });
    Ok(counted)
}

impl<'a> Counter<'a> {
    fn count(&self, dated_by: &str) -> Counted {
        let mut counted = Counted::default();
        let (referred, offences) = self.refer_to_action_fraud(self.case.offences.iter().collect());
        counted.not_recorded = referred;

        // Offences counted in another victim's crime by a crime-type rule, by the offence
        // that absorbs them.
        let mut absorbed: BTreeMap<&str, Vec<(RuleId, &Offence)>> = BTreeMap::new();
        let robbery = self.absorbed_by_business_robberies(&offences);
        let arson = self.absorbed_by_arson(&offences);
        let mut taken = BTreeSet::new();
        for (id, (into, o)) in robbery
            .into_iter()
            .map(|a| (RuleId::BusinessRobbery, a))
            .chain(
                arson
                    .into_iter()
                    .map(|a| (RuleId::ArsonPerIntendedOwner, a)),
            )
        {
            if taken.insert(o.id.as_str()) {
                absorbed.entry(into).or_default().push((id, o));
            }
        }

        let mut by_victim: BTreeMap<&str, Vec<&Offence>> = BTreeMap::new();
        let mut victimless = Vec::new();
        for o in offences
            .into_iter()
            .filter(|o| !taken.contains(o.id.as_str()))
        {
            match &o.victim {
                Some(v) => by_victim.entry(v.as_str()).or_default().push(o),
                None => victimless.push(o),
            }
        }

        for (victim, offences) in by_victim {
            let groups = self.offender_groups(offences);
            let several_groups = groups.len() > 1;
            for group in groups {
                let incidents = self.finished_incidents(group);
                let several_incidents = incidents.len() > 1;
                for incident in incidents {
                    let mut rules = vec![self.cite(
                        RuleId::OneCrimePerVictim,
                        format!("Section D: one crime for victim {victim}"),
                    )];
                    rules.push(self.cite(
                        RuleId::FinishedIncident,
                        match (several_incidents, several_groups) {
                            (true, _) => "Section E: a new incident after the earlier one was reported (Finished Incident Rule)",
                            (false, true) => "Section E: one finished incident; offences against the victim by other, unconnected offenders are separate incidents",
                            (false, false) => "Section E: one finished incident",
                        },
                    ));
                    counted.crimes.extend(self.incident_crimes(
                        incident,
                        vec![victim.to_owned()],
                        &rules,
                        &absorbed,
                        dated_by,
                    ));
                }
            }
        }

        for occasion in self.victimless_occasions(victimless) {
            let mut who: Vec<&str> = occasion
                .iter()
                .flat_map(|o| o.offenders.iter().map(String::as_str))
                .collect();
            who.sort_unstable();
            who.dedup();
            let who = if who.is_empty() {
                "offenders not known".to_owned()
            } else {
                who.join(", ")
            };
            let reports: BTreeSet<&str> = occasion.iter().map(|o| o.report.as_str()).collect();
            let mut rules = vec![self.cite(
                RuleId::VictimlessPerOffenderPerOccasion,
                format!(
                    "No individual victim: one crime for each offender or group of offenders acting together ({who}) on one occasion (report {})",
                    reports.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )];
            let listed: BTreeSet<String> = occasion
                .iter()
                .filter(|o| self.applies(RuleId::PerOffenderOrGroup, o))
                .map(|o| self.code(o))
                .collect();
            if !listed.is_empty() {
                rules.push(self.cite(
                    RuleId::PerOffenderOrGroup,
                    format!(
                        "{}: one crime for each offender or group of offenders",
                        listed.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            counted.crimes.extend(self.incident_crimes(
                occasion,
                Vec::new(),
                &rules,
                &absorbed,
                dated_by,
            ));
        }
        counted
    }

    /// The crimes of one incident (a victim's) or occasion (no individual victim): its parts
    /// counted apart (Section F exceptions, sexual offences per offender), each the crime of
    /// its most serious offence, with the offences other victims' crime-type rules put in it.
    fn incident_crimes(
        &self,
        incident: Vec<&'a Offence>,
        victims: Vec<String>,
        rules: &[String],
        absorbed: &BTreeMap<&str, Vec<(RuleId, &'a Offence)>>,
        dated_by: &str,
    ) -> Vec<Crime> {
        let pcr = if victims.is_empty() {
            RuleId::VictimlessPrincipalCrime
        } else {
            RuleId::PrincipalCrime
        };
        let has_course = incident
            .iter()
            .any(|o| rules::COURSE_OF_CONDUCT.contains(&self.code(o).as_str()));
        let parts = self.in_addition_parts(incident.clone());
        let split = parts.len() > 1;
        let mut crimes = Vec::new();
        for (in_addition, part) in parts {
            for (offender, offences) in self.per_sexual_offender(part) {
                let Some(principal) = self.principal(&offences) else {
                    continue;
                };
                let mut rules = rules.to_vec();
                if let (true, Some(id)) = (split, in_addition)
                    && let Some(rule) = rules::rule(id)
                {
                    rules.push(self.cite(id, rule.title));
                }
                if let Some(offender) = &offender {
                    rules.push(self.cite(
                        RuleId::SexualPerVictimPerOffender,
                        format!(
                            "Sexual offences: one crime for each victim for each offender (this one for {offender})"
                        ),
                    ));
                }
                let others: Vec<&Offence> = offences
                    .iter()
                    .copied()
                    .filter(|o| o.id != principal.id)
                    .collect();
                if !others.is_empty() {
                    rules.push(self.principal_line(pcr, principal, &others));
                    if has_course
                        && incident.len() > 1
                        && let Some(rule) = self.rule(RuleId::CourseOfConductPrincipalCrime)
                    {
                        rules.push(self.cite(rule.id, rule.title));
                    }
                }
                let mut ids: Vec<String> = offences.iter().map(|o| o.id.clone()).collect();
                for o in &offences {
                    let Some(theirs) = absorbed.get(o.id.as_str()) else {
                        continue;
                    };
                    for id in [RuleId::BusinessRobbery, RuleId::ArsonPerIntendedOwner] {
                        let covered: Vec<&Offence> = theirs
                            .iter()
                            .filter(|(rule, _)| *rule == id)
                            .map(|(_, o)| *o)
                            .collect();
                        if covered.is_empty() {
                            continue;
                        }
                        let list: Vec<String> = covered
                            .iter()
                            .map(|c| format!("{} ({})", c.id, self.code(c)))
                            .collect();
                        let text = match id {
                            RuleId::BusinessRobbery => format!(
                                "Robbery (34A): one crime for the business robbed; the assaults and threats on staff and others in the course of it are counted in it: {}",
                                list.join(", ")
                            ),
                            _ => format!(
                                "Arson endangering life (56A): one crime for the intended owner; the damage the fire did to other owners' property is counted in it: {}",
                                list.join(", ")
                            ),
                        };
                        rules.push(self.cite(id, text));
                        ids.extend(covered.iter().map(|c| c.id.clone()));
                    }
                }
                ids.sort();
                ids.dedup();
                rules.push(self.edition_line(dated_by));
                crimes.push(Crime {
                    class: self.code(principal),
                    victims: victims.clone(),
                    offences: ids,
                    rules,
                });
            }
        }
        crimes
    }
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

    const STALKING_WITH_ASSAULTS: &str = r#"{"id":"s","reports":[{"id":"R1","at":"2026-05-10T09:00:00Z"}],
            "victims":[{"id":"V1","kind":"person"}],"offenders":[{"id":"S1"}],
            "offences":[{"id":"F1","class":"8Q","victim":"V1","offenders":["S1"],"from":"2026-03-01T00:00:00Z","to":"2026-05-09T22:00:00Z","place":"P1","report":"R1"},
                        {"id":"F2","class":"105A","victim":"V1","offenders":["S1"],"at":"2026-05-09T21:00:00Z","place":"P1","report":"R1"},
                        {"id":"F3","class":"8N","victim":"V1","offenders":["S1"],"at":"2026-05-09T22:00:00Z","place":"P1","report":"R1"}]}"#;

    // HOCR April 2018 to the April 2023 changes: the course of conduct is recorded in addition
    // to the most serious other offence, which still absorbs the lesser ones (Section F).
    #[test]
    fn before_april_2023_a_course_of_conduct_is_recorded_beside_the_most_serious_other_offence() {
        let json = STALKING_WITH_ASSAULTS.replace("2026-", "2022-");
        let c = counted(&json);
        assert_classes(&c, &[("8N", &["F2", "F3"]), ("8Q", &["F1"])]);
        let stalking = c.crimes.iter().find(|c| c.class == "8Q").unwrap();
        assert!(any_rule(stalking, |r| r.contains("course of conduct")));
        assert!(
            c.crimes
                .iter()
                .all(|c| any_rule(c, |r| r.starts_with("Edition: HOCR April 2022")))
        );
    }

    // Since the April 2023 changes the Principal Crime Rule applies to stalking: one crime, the
    // most serious (stalking s.4A, 10 years, over assault with injury, 5 years).
    #[test]
    fn since_april_2023_a_course_of_conduct_is_under_the_principal_crime_rule() {
        let c = counted(STALKING_WITH_ASSAULTS);
        assert_classes(&c, &[("8Q", &["F1", "F2", "F3"])]);
        assert!(any_rule(&c.crimes[0], |r| r.contains("since April 2023")));
        assert!(
            c.edition
                .as_ref()
                .is_some_and(|e| e.name.starts_with("HOCR April 2023"))
        );
        // The same facts, reported in February 2023 and decided on 1 March 2023, are counted
        // under the rules of that day: two crimes.
        let decided = "2023-03-01T10:00:00Z".parse().ok();
        let json = STALKING_WITH_ASSAULTS
            .replace("2026-05", "2023-02")
            .replace("2026-03", "2022-12");
        let c = count_at(&case(&json), &reference(), decided).unwrap();
        assert_classes(&c, &[("8N", &["F2", "F3"]), ("8Q", &["F1"])]);
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
        assert!(any_rule(&c.crimes[0], |r| r.starts_with("Robbery (34A)")));
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

    /// A case from offences written "id class victim offenders when place report": victim
    /// `-` for none (ids starting B are organisations), offenders `+`-joined or `-`, when a
    /// moment or `from..to`. Each report is made ten minutes after its last offence ends.
    fn facts(lines: &[&str]) -> Case {
        let mut victims = BTreeSet::new();
        let mut offenders = BTreeSet::new();
        let mut reports: BTreeMap<String, Timestamp> = BTreeMap::new();
        let mut offences = Vec::new();
        for line in lines {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [id, class, victim, who, when, place, report] = f[..] else {
                panic!("{line}");
            };
            let (from, to) = when.split_once("..").unwrap_or((when, when));
            let (from, to): (Timestamp, Timestamp) = (from.parse().unwrap(), to.parse().unwrap());
            let made = to + jiff::SignedDuration::from_mins(10);
            let at = reports.entry(report.to_owned()).or_insert(made);
            *at = (*at).max(made);
            let who: Vec<&str> = who.split('+').filter(|s| *s != "-").collect();
            offenders.extend(who.iter().map(|s| s.to_string()));
            let victim = (victim != "-").then(|| victim.to_owned());
            victims.extend(victim.clone());
            offences.push(
                serde_json::json!({"id": id, "class": class, "victim": victim,
                "offenders": who, "from": from, "to": to, "place": place, "report": report}),
            );
        }
        let json = serde_json::json!({
            "id": "t",
            "reports": reports.iter().map(|(id, at)| serde_json::json!({"id": id, "at": at})).collect::<Vec<_>>(),
            "victims": victims.iter().map(|v| serde_json::json!({"id": v,
                "kind": if v.starts_with('B') { "organisation" } else { "person" }})).collect::<Vec<_>>(),
            "offenders": offenders.iter().map(|s| serde_json::json!({"id": s})).collect::<Vec<_>>(),
            "offences": offences,
        });
        serde_json::from_value(json).unwrap()
    }

    fn count_facts(lines: &[&str]) -> Counted {
        count(&facts(lines), &reference()).unwrap()
    }

    const T: &str = "2026-06-01T12:00:00Z";

    /// `line` with the moment `T` written in.
    fn at(line: &str) -> String {
        line.replace("@", T)
    }

    fn count_at_t(lines: &[&str]) -> Counted {
        let lines: Vec<String> = lines.iter().map(|l| at(l)).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        count_facts(&refs)
    }

    // Issue 16 rule 1, HOCR Robbery 34A: assaults without injury and threats on staff in the
    // course of a robbery of business property are counted in it, not only injuries.
    #[test]
    fn business_robbery_absorbs_assaults_and_threats_on_staff() {
        let c = count_at_t(&[
            "F1 34A B1 S1 @ P1 R1",
            "F2 105A V2 S1 @ P1 R1",
            "F3 3B V3 S1 @ P1 R1",
        ]);
        assert_classes(&c, &[("34A", &["F1", "F2", "F3"])]);
        // A threat by someone unconnected with the robbery is not part of it.
        let c = count_at_t(&[
            "F1 34A B1 S1 @ P1 R1",
            "F2 105A V2 S1 @ P1 R1",
            "F3 3B V3 S9 @ P1 R1",
        ]);
        assert_classes(&c, &[("34A", &["F1", "F2"]), ("3B", &["F3"])]);
    }

    // Issue 16 rule 2: the Principal Crime Rule for offences without an individual victim:
    // possession with intent to supply and possession on one occasion are the supply only.
    #[test]
    fn victimless_offences_of_one_occasion_are_the_most_serious_only() {
        let c = count_at_t(&["F1 92A - S1 @ P1 R1", "F2 92D - S1 @ P1 R1"]);
        assert_classes(&c, &[("92A", &["F1", "F2"])]);
        assert!(any_rule(&c.crimes[0], |r| r
            .starts_with("Section F: principal crime 92A")));
        // A day apart they are two occasions, even in one report.
        let c = count_facts(&[
            "F1 92A - S1 2026-06-01T12:00:00Z P1 R1",
            "F2 92D - S1 2026-06-02T12:00:00Z P1 R1",
        ]);
        assert_classes(&c, &[("92A", &["F1"]), ("92D", &["F2"])]);
    }

    // Issue 16 rule 3: one crime per offender or group acting together per occasion, not per
    // report: two unconnected people in possession on one patrol are two crimes.
    #[test]
    fn victimless_offences_count_per_offender_or_group() {
        let c = count_at_t(&["F1 92E - S1 @ P1 R1", "F2 92E - S2 @ P1 R1"]);
        assert_classes(&c, &[("92E", &["F1"]), ("92E", &["F2"])]);
        // Acting together (S2 in both) they are one group: one crime.
        let c = count_at_t(&["F1 92E - S1+S2 @ P1 R1", "F2 92E - S2 @ P1 R1"]);
        assert_classes(&c, &[("92E", &["F1", "F2"])]);
    }

    // Issue 16 rule 4: the Finished Incident Rule needs the same offender or group.
    #[test]
    fn finished_incident_needs_the_same_offenders() {
        let c = count_at_t(&["F1 105A V1 S1 @ P1 R1", "F2 8N V1 S2 @ P1 R1"]);
        assert_classes(&c, &[("105A", &["F1"]), ("8N", &["F2"])]);
        assert!(
            c.crimes
                .iter()
                .all(|c| any_rule(c, |r| r.contains("unconnected offenders")))
        );
        let c = count_at_t(&["F1 105A V1 S1+S2 @ P1 R1", "F2 8N V1 S2 @ P1 R1"]);
        assert_classes(&c, &[("8N", &["F1", "F2"])]);
    }

    // Issue 16 rule 5: seriousness by maximum sentence, whatever the order the offences come
    // in: a threat to kill (10 years) outranks common assault (6 months).
    #[test]
    fn seriousness_is_the_maximum_sentence_never_the_input_order() {
        for lines in [
            ["F1 3B V1 S1 @ P1 R1", "F2 105A V1 S1 @ P1 R1"],
            ["F2 105A V1 S1 @ P1 R1", "F1 3B V1 S1 @ P1 R1"],
            ["F1 105A V1 S1 @ P1 R1", "F2 3B V1 S1 @ P1 R1"],
        ] {
            let c = count_at_t(&lines);
            assert_eq!(c.crimes.len(), 1);
            assert_eq!(c.crimes[0].class, "3B", "{lines:?}");
            assert!(any_rule(&c.crimes[0], |r| r.contains("10 years")
                && r.contains("s.16")));
        }
        let r = reference();
        let counter = |o: &Offence| r.offence(&o.class).map(|c| c.max_sentence).unwrap();
        let case = facts(&[&at("F1 3B V1 S1 @ P1 R1"), &at("F2 105A V1 S1 @ P1 R1")]);
        assert!(counter(&case.offences[0]) > counter(&case.offences[1]));
    }

    // Issue 16 rule 5: a force's Annex C table, when loaded, overrides the maximum sentence.
    #[test]
    fn annex_c_overrides_the_maximum_sentence() {
        let mut files = shipped();
        let table = "code|position|source\n105A|1|test table\n3B|2|test table\n";
        files.push(crate::reference::SourceFile {
            name: "force/principal-crime-table.psv",
            text: table,
        });
        let reference = ReferenceData::load(&files).unwrap();
        let case = facts(&[&at("F1 3B V1 S1 @ P1 R1"), &at("F2 105A V1 S1 @ P1 R1")]);
        let c = count(&case, &reference).unwrap();
        assert_classes(&c, &[("105A", &["F1", "F2"])]);
        assert!(any_rule(&c.crimes[0], |r| r.contains("Annex C position 1")));
    }

    // Issue 16 rule 6, HOCR Fraud: fraud goes to Action Fraud; the theft of the card used is
    // recorded by the police.
    #[test]
    fn fraud_is_referred_to_action_fraud_and_the_card_theft_recorded() {
        let c = count_facts(&[
            "F1 49 V1 - 2026-06-01T12:00:00Z P1 R1",
            "F2 53C B1 - 2026-06-01T15:00:00Z P2 R1",
        ]);
        assert_classes(&c, &[("49", &["F1"])]);
        assert_eq!(c.not_recorded.len(), 1);
        assert_eq!(c.not_recorded[0].offence, "F2");
        assert!(
            c.not_recorded[0]
                .reason
                .starts_with("not recorded by the police: refer to Action Fraud")
        );
        // Making off without payment (49A) is not among the classes Action Fraud records.
        let c = count_at_t(&["F1 49A B1 - @ P1 R1"]);
        assert_classes(&c, &[("49A", &["F1"])]);
        assert!(c.not_recorded.is_empty());
    }

    // Issue 16 rule 7: sexual offences are one crime per victim per offender.
    #[test]
    fn sexual_offences_are_one_crime_per_victim_per_offender() {
        let c = count_at_t(&["F1 19C V1 S1+S2 @ P1 R1"]);
        assert_classes(&c, &[("19C", &["F1"]), ("19C", &["F1"])]);
        assert!(
            c.crimes
                .iter()
                .all(|c| any_rule(c, |r| r.starts_with("Sexual offences")))
        );
        // One offender, two offences in one incident: one crime.
        let c = count_at_t(&["F1 19C V1 S1 @ P1 R1", "F2 20A V1 S1 @ P1 R1"]);
        assert_classes(&c, &[("19C", &["F1", "F2"])]);
    }

    // Issue 16 rule 8, HOCR Arson 56A: one crime per intended owner, not per property the
    // fire reaches.
    #[test]
    fn arson_endangering_life_is_one_crime_per_intended_owner() {
        let c = count_facts(&[
            "F1 56A V1 S1 2026-06-01T02:00:00Z..2026-06-01T03:00:00Z P1 R1",
            "F2 56A V2 S1 2026-06-01T02:20:00Z..2026-06-01T03:00:00Z P2 R1",
        ]);
        assert_classes(&c, &[("56A", &["F1", "F2"])]);
        assert_eq!(c.crimes[0].victims, ["V1"]);
        // Two fires set an hour apart at two owners' homes: two crimes.
        let c = count_facts(&[
            "F1 56A V1 S1 2026-06-01T02:00:00Z P1 R1",
            "F2 56A V2 S1 2026-06-01T03:00:00Z P2 R1",
        ]);
        assert_classes(&c, &[("56A", &["F1"]), ("56A", &["F2"])]);
    }

    // Issue 16 "also": an offence always recorded in addition (modern slavery, 106) is its
    // own crime beside the most serious other offence.
    #[test]
    fn modern_slavery_is_recorded_in_addition() {
        let c = count_at_t(&["F1 106 V1 S1 @ P1 R1", "F2 8N V1 S1 @ P1 R1"]);
        assert_classes(&c, &[("106", &["F1"]), ("8N", &["F2"])]);
        let c = count_at_t(&["F1 36 V1 S1 @ P1 R1", "F2 8N V1 S1 @ P1 R1"]);
        assert_classes(&c, &[("36", &["F1", "F2"])]);
    }

    // Issue 16 rule 9: the rules are those of the decision date; a date before the editions
    // carried, or a decision before the report, is refused; every crime names the edition.
    #[test]
    fn the_decision_date_chooses_the_edition() {
        let case = facts(&[&at("F1 8N V1 S1 @ P1 R1")]);
        let r = reference();
        let c = count(&case, &r).unwrap();
        let edition = c.edition.clone().unwrap();
        assert_eq!(edition.dated_by, "the latest report");
        assert!(
            c.crimes
                .iter()
                .all(|c| any_rule(c, |r| r.starts_with("Edition: ")
                    && r.contains(&edition.name)))
        );
        let later = "2026-06-02T09:00:00Z".parse().ok();
        let c = count_at(&case, &r, later).unwrap();
        assert_eq!(c.edition.unwrap().dated_by, "the recording decision");
        let early = facts(&["F1 8N V1 S1 2017-06-01T12:00:00Z P1 R1"]);
        let err = count(&early, &r).unwrap_err();
        assert!(err.problem.contains("no edition"), "{err}");
        let before = "2026-05-01T09:00:00Z".parse().ok();
        let err = count_at(&case, &r, before).unwrap_err();
        assert!(err.problem.contains("before the latest report"), "{err}");
    }

    // The named rule functions on their own.
    #[test]
    fn offender_groups_join_shared_offenders_and_keep_strangers_apart() {
        let case = facts(&[
            &at("F1 105A V1 S1 @ P1 R1"),
            &at("F2 105A V1 S1+S2 @ P1 R1"),
            &at("F3 105A V1 S2 @ P1 R1"),
            &at("F4 105A V1 S3 @ P1 R1"),
            &at("F5 105A V1 - @ P1 R1"),
        ]);
        let r = reference();
        let counter = Counter {
            case: &case,
            reference: &r,
            day: jiff::civil::date(2026, 6, 1),
            edition: &EDITIONS[EDITIONS.len() - 1],
            report_at: BTreeMap::new(),
        };
        let groups: Vec<Vec<&str>> = counter
            .offender_groups(case.offences.iter().collect())
            .into_iter()
            .map(|g| {
                let mut ids: Vec<&str> = g.iter().map(|o| o.id.as_str()).collect();
                ids.sort_unstable();
                ids
            })
            .collect();
        assert_eq!(groups, [vec!["F1", "F2", "F3"], vec!["F4"], vec!["F5"]]);
    }
}
