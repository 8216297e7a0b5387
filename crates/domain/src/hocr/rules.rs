//! The counting rules as dated data: each rule the engine applies, the HOCR edition its text
//! comes from, the dates it is in force and where that was read (or that it could not be).
//! The engine asks which rules are in force on the date of the recording decision, so a case
//! decided before April 2023 is counted under the rules of its day.
//!
//! Editions: the Home Office Counting Rules (HOCR) are reissued each April; from April 2023
//! the Home Office published them as the "Crime Recording Rules for frontline officers and
//! staff". Only the changes listed here are modelled: a rule with no dates is in force in
//! every edition carried.

use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};

/// An edition of the counting rules: its name and the first day it was in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edition {
    pub name: &'static str,
    pub from: Date,
    /// Where it was read, or that it could not be.
    pub source: &'static str,
}

/// The editions carried, oldest first. A date before the first is refused: the rules of that
/// day are not carried (see `edition_on`).
pub const EDITIONS: &[Edition] = &[
    Edition {
        name: "HOCR April 2018",
        from: date(2018, 4, 1),
        source: "Home Office Counting Rules for Recorded Crime, with effect from April 2018: General Rules read at vdocuments.mx (home-office-counting-rules-general-rules-govuk), Violence against the Person at readkong.com",
    },
    Edition {
        name: "HOCR April 2019",
        from: date(2019, 4, 1),
        source: "HOCR with effect from April 2019: Fraud read at vdocuments.mx (counting-rules-for-fraud); other chapters not read",
    },
    Edition {
        name: "HOCR April 2020",
        from: date(2020, 4, 1),
        source: "HOCR with effect from April 2020: Violence against the Person read at readkong.com; other chapters not read",
    },
    Edition {
        name: "HOCR April 2021",
        from: date(2021, 4, 1),
        source: "HOCR with effect from April 2021: Robbery, Miscellaneous Crimes Against Society, Fraud and Violence against the Person read at docslib.org",
    },
    Edition {
        name: "HOCR April 2022",
        from: date(2022, 4, 1),
        source: "HOCR 2022/3, with effect from April 2022: contents read at dokumen.tips (home-office-counting-rules-20223-govuk)",
    },
    Edition {
        name: "HOCR April 2023 (Crime Recording Rules for frontline officers and staff)",
        from: date(2023, 4, 1),
        source: "The April 2023 changes (Principal Crime Rule reinstated for stalking, harassment and controlling or coercive behaviour; public order matters resolved before police arrive), as announced by the Home Office and reported in April 2023 (e.g. sott.net/article/479428, reprinting the Telegraph). The Home Office text and the exact commencement date could not be read here: 1 April 2023 is taken from the announcement month. Later updates (gov.uk page last updated 15 March 2024, per govwire.co.uk) were not read",
    },
];

/// The rules the engine knows by name; `RULES` gives each its edition and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    OneCrimePerVictim,
    FinishedIncident,
    PrincipalCrime,
    VictimlessPrincipalCrime,
    VictimlessPerOffenderPerOccasion,
    PerOffenderOrGroup,
    BusinessRobbery,
    CourseOfConductInAddition,
    CourseOfConductPrincipalCrime,
    AlwaysInAddition,
    ReferToActionFraud,
    SexualPerVictimPerOffender,
    ArsonPerIntendedOwner,
}

/// One counting rule: what it says, the classes it concerns, the edition whose text it
/// implements and the days it is in force (`from` inclusive, `until` exclusive; `None` for
/// "in every edition carried").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: RuleId,
    pub title: &'static str,
    pub classes: &'static [&'static str],
    pub edition: &'static str,
    pub from: Option<Date>,
    pub until: Option<Date>,
    pub source: &'static str,
}

impl Rule {
    /// Whether the rule is in force on `day`.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.from.is_none_or(|from| from <= day) && self.until.is_none_or(|until| day < until)
    }

    /// Whether the rule concerns the classification `code`.
    pub fn concerns(&self, code: &str) -> bool {
        self.classes.iter().any(|c| c.eq_ignore_ascii_case(code))
    }
}

/// Course-of-conduct classifications: harassment (8L), racially or religiously aggravated
/// harassment (8M), stalking (8Q), controlling or coercive behaviour (8U).
pub const COURSE_OF_CONDUCT: &[&str] = &["8L", "8M", "8Q", "8U"];

/// Classes counted once for each offender or group of offenders acting together, as the HOCR
/// lists them. Since issue 16 every offence without an individual victim is counted that way
/// (`RuleId::VictimlessPerOffenderPerOccasion`); these lines say where the HOCR says so for
/// the class itself.
pub const PER_OFFENDER_OR_GROUP: &[&str] = &["24/19", "92A", "92C", "92D", "92E"];

/// The sexual offence classes (HOCR Sexual Offences): one crime per victim per offender.
pub const SEXUAL_OFFENCES: &[&str] = &[
    "17A", "17B", "19C", "19D", "19E", "19F", "19G", "19H", "20A", "20B", "21", "22A", "22B", "23",
    "70", "71", "72", "73", "88A", "88C", "88D", "88E",
];

/// What robbery of business property absorbs when done to staff or others present in the
/// course of it: assaults with and without injury, wounding, threats to kill and threatening
/// behaviour (HOCR Robbery, 34A).
pub const ROBBERY_ABSORBS: &[&str] = &[
    "5D", "8N", "8P", "8S", "104", "105A", "105B", "3B", "9A", "9B",
];

/// The damage a fire endangering life does to property other than the intended owner's:
/// counted in the arson against the intended owner (HOCR Arson, 56A).
pub const ARSON_ABSORBS: &[&str] = &["56A", "56B", "58A", "58B", "58C", "58D"];

/// Every rule, with its edition, dates and source.
pub const RULES: &[Rule] = &[
    Rule {
        id: RuleId::OneCrimePerVictim,
        title: "Section D: one crime per victim",
        classes: &[],
        edition: "HOCR General Rules, Section D",
        from: None,
        until: None,
        source: "HOCR General Rules, Section D One Crime per Victim (contents of the April 2018 and April 2022 editions read; the section's text as ../shared/domain/STANDARDS.md summarises it)",
    },
    Rule {
        id: RuleId::FinishedIncident,
        title: "Section E: the Finished Incident Rule (the same offender or group, one incident, until it is reported)",
        classes: &[],
        edition: "HOCR General Rules, Section E",
        from: None,
        until: None,
        source: "HOCR General Rules, Section E Finished Incident Rule; that it joins offences only by the same offender or group is the rule as issue 16 states it: the section's text could not be read here",
    },
    Rule {
        id: RuleId::PrincipalCrime,
        title: "Section F: the Principal Crime Rule (the most serious offence in the incident; Annex C, or else the maximum sentence)",
        classes: &[],
        edition: "HOCR General Rules, Section F and Annex C",
        from: None,
        until: None,
        source: "HOCR General Rules, Section F Principal Crime Rule and Annex C Principal Crime Look Up Table; the table ranks by maximum sentence (Home Office change note: stalking s.2A shown as 6 months, per govwire.co.uk). Annex C itself was not read: forces load it as principal-crime-table.psv",
    },
    Rule {
        id: RuleId::VictimlessPrincipalCrime,
        title: "Section F: the Principal Crime Rule for offences without an individual victim (same offender or group, same occasion)",
        classes: &[],
        edition: "HOCR General Rules, Section F",
        from: None,
        until: None,
        source: "HOCR General Rules, Section F, applied to offences without an individual victim as issue 16 states it (possession with intent to supply and possession of the same drug on one occasion: the supply only); the section's text could not be read here",
    },
    Rule {
        id: RuleId::VictimlessPerOffenderPerOccasion,
        title: "Offences without an individual victim: one crime per offender or group acting together, per occasion",
        classes: &[],
        edition: "HOCR General Rules, Section D",
        from: None,
        until: None,
        source: "HOCR General Rules, Section D, for offences with no individual victim, as issue 16 states it (two unconnected people found in possession on one patrol are two crimes); HOCR General Rules, Section A, Application of the rule, Example 1 (three supplies to an undercover officer: three crimes)",
    },
    Rule {
        id: RuleId::PerOffenderOrGroup,
        title: "One crime for each offender or group of offenders",
        classes: PER_OFFENDER_OR_GROUP,
        edition: "HOCR April 2021",
        from: None,
        until: None,
        source: "24/19: HOCR April 2021, Miscellaneous Crimes Against Society, 24 Exploitation of Prostitution, 'Keeping a brothel used for prostitution: One crime for each offender or group of offenders' (read at docslib.org/doc/4884998). 92A, 92C, 92D, 92E: HOCR Drug Offences, as issue 16 summarises it; the Drug Offences chapter could not be read here. Other classes the HOCR may list this way were not read",
    },
    Rule {
        id: RuleId::BusinessRobbery,
        title: "Robbery of business property (34A): one crime for each business robbed; assaults and threats on staff and others in the course of it are counted in the robbery",
        classes: &["34A"],
        edition: "HOCR April 2021",
        from: None,
        until: None,
        source: "HOCR April 2021, Robbery, 34A: 'one crime for each business whose property is robbed'; 'If people are injured immediately before or at the time of the robbery, count the robbery only' (Example: three people wounded in a post office robbery, one crime of 34A), read at docslib.org/doc/12810296. That threats and assaults without injury are absorbed as well is the rule as issue 16 states it",
    },
    Rule {
        id: RuleId::CourseOfConductInAddition,
        title: "Stalking and harassment: a course of conduct is recorded in addition to the most serious other offence (exception to Section F)",
        classes: COURSE_OF_CONDUCT,
        edition: "HOCR April 2018",
        from: Some(date(2018, 4, 1)),
        until: Some(date(2023, 4, 1)),
        source: "HOCR April 2018, Violence against the Person, Stalking and Harassment (stalking and harassment recorded in all cases, whatever other crime occurred: Home Office rules announced that year, per archive.northumbria-pcc.gov.uk/?p=8471, undated; HMICFRS crime data integrity reports summarise it). The start date for controlling or coercive behaviour (8U) is taken to be the same and is unverified. Ended by the April 2023 changes",
    },
    Rule {
        id: RuleId::CourseOfConductPrincipalCrime,
        title: "Stalking, harassment and controlling or coercive behaviour: the Principal Crime Rule applies (only the most serious offence is recorded, since April 2023)",
        classes: COURSE_OF_CONDUCT,
        edition: "HOCR April 2023 (Crime Recording Rules for frontline officers and staff)",
        from: Some(date(2023, 4, 1)),
        until: None,
        source: "The April 2023 changes reinstated the Principal Crime Rule for stalking, harassment and controlling or coercive behaviour (e.g. stalking with criminal damage: the stalking only), as reported in April 2023 (sott.net/article/479428). The Home Office text and exact commencement date could not be read: 1 April 2023 is the announcement month",
    },
    Rule {
        id: RuleId::AlwaysInAddition,
        title: "Always recorded in addition to the other offences against the victim (exception to Section F)",
        classes: &["106"],
        edition: "HOCR April 2021",
        from: None,
        until: None,
        source: "106 Modern Slavery: recorded in addition to the other offences disclosed (HOCR, Modern Slavery, from the writer's knowledge: the page could not be read here, unverified). No other 'always in addition' class could be read",
    },
    Rule {
        id: RuleId::ReferToActionFraud,
        title: "Fraud: not recorded by the police: refer to Action Fraud",
        classes: &["51", "52", "53B", "53C", "53D", "53E", "53F", "55"],
        edition: "HOCR April 2021",
        from: None,
        until: None,
        source: "HOCR April 2021, Fraud: Action Fraud records NFIB fraud for the National Fraud Intelligence Bureau, and the police record only outcomes for these classes ('outcomes only' in the Home Office list); where other notifiable offences are apparent they are the police's to record. Example (Fraud, cash card): a stolen card used at cash machines is one crime of theft (class 49) for the card, plus one NFIB fraud. Read at docslib.org/doc/4341623 and 1library.net",
    },
    Rule {
        id: RuleId::SexualPerVictimPerOffender,
        title: "Sexual offences: one crime for each victim for each offender",
        classes: SEXUAL_OFFENCES,
        edition: "HOCR April 2021",
        from: None,
        until: None,
        source: "HOCR Sexual Offences, general rule one crime per victim per offender (two offenders, one victim: two crimes), as issue 16 states it; the chapter could not be read here",
    },
    Rule {
        id: RuleId::ArsonPerIntendedOwner,
        title: "Arson endangering life (56A): one crime for each specific, intended owner of property damaged, not for each property the fire reaches",
        classes: &["56A"],
        edition: "HOCR Arson and Criminal Damage",
        from: None,
        until: None,
        source: "HOCR, Arson, 56A Arson Endangering Life, General Rule 'one crime for each specific, intended owner of property damaged where life endangered', Example 1 (a fire in a ground floor flat spreading to the flats above: one crime); read at docplayer.net/12152030 (edition not shown)",
    },
];

/// The rule `id`, whatever its dates.
pub fn rule(id: RuleId) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The rule `id` if it is in force on `day`.
pub fn in_force(id: RuleId, day: Date) -> Option<&'static Rule> {
    rule(id).filter(|r| r.in_force_on(day))
}

/// The edition in force on `day`: the latest carried that began on or before it.
pub fn edition_on(day: Date) -> Option<&'static Edition> {
    EDITIONS.iter().rev().find(|e| e.from <= day)
}

/// The day after which the edition in force on `day` was replaced, if it has been.
pub fn edition_until(edition: &Edition) -> Option<Date> {
    EDITIONS
        .iter()
        .map(|e| e.from)
        .find(|from| *from > edition.from)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every rule is named once, cites an edition and a source, and has sensible dates.
    #[test]
    fn every_rule_is_dated_and_cited_once() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "{:?} twice", r.id);
            assert!(!r.edition.is_empty() && !r.source.is_empty(), "{:?}", r.id);
            if let (Some(from), Some(until)) = (r.from, r.until) {
                assert!(from < until, "{:?}", r.id);
            }
        }
        assert!(EDITIONS.windows(2).all(|w| w[0].from < w[1].from));
    }

    // The April 2023 changes: a course of conduct was recorded in addition before them and is
    // under the Principal Crime Rule since; exactly one of the two is in force on any day.
    #[test]
    fn the_course_of_conduct_rules_change_in_april_2023() {
        let before = date(2023, 3, 31);
        let after = date(2023, 4, 1);
        assert!(in_force(RuleId::CourseOfConductInAddition, before).is_some());
        assert!(in_force(RuleId::CourseOfConductPrincipalCrime, before).is_none());
        assert!(in_force(RuleId::CourseOfConductInAddition, after).is_none());
        assert!(in_force(RuleId::CourseOfConductPrincipalCrime, after).is_some());
        assert_eq!(edition_on(before).map(|e| e.name), Some("HOCR April 2022"));
        assert!(edition_on(after).is_some_and(|e| e.name.starts_with("HOCR April 2023")));
        assert_eq!(edition_on(date(2018, 3, 31)), None);
        assert_eq!(edition_until(&EDITIONS[0]), Some(date(2019, 4, 1)));
    }
}
