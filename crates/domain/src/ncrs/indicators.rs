//! The crime data integrity check's eye: what in an incident suggests a crime was reported.
//!
//! HMICFRS crime data integrity inspections look for incidents where a crime was reported but
//! neither a crime nor a non-crime decision was recorded. They find them from the incident's
//! codes (a Crime category opening or closing code), its qualifiers (domestic abuse with an
//! assault described) and its narrative. The word lists are this project's own, kept short and
//! specific so a registrar's list is worth reading; each finding says what triggered it.

use crate::incident::Incident;
use crate::reference::{CategoryGroup, ReferenceData};
use crate::text::Code;

/// Words and phrases that, in a caller's account or the log, describe a notifiable offence.
const OFFENCE_WORDS: &[&str] = &[
    "arson",
    "assault",
    "assaulted",
    "broke in",
    "broken into",
    "burglary",
    "burgled",
    "criminal damage",
    "fraud",
    "graffiti",
    "harassment",
    "mugged",
    "raped",
    "robbed",
    "robbery",
    "scammed",
    "set fire",
    "sexual assault",
    "shoplifting",
    "smashed",
    "stabbed",
    "stalking",
    "stole",
    "stolen",
    "theft",
    "threatened to kill",
    "vandalised",
];

/// Words that describe violence: with a domestic abuse qualifier, an assault is likely.
const VIOLENCE_WORDS: &[&str] = &[
    "choked",
    "grabbed",
    "head butted",
    "headbutted",
    "hit",
    "kicked",
    "punched",
    "pushed",
    "shoved",
    "slapped",
    "strangled",
    "threw",
];

const DOMESTIC_ABUSE: &str = "DOMESTIC_ABUSE";

/// Lower-case words separated by single spaces, padded so a phrase matches whole words only
/// (`" hit "` does not match "white").
fn words(text: &str) -> String {
    let mut out = String::from(" ");
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(&word.to_lowercase());
        out.push(' ');
    }
    out
}

fn found<'a>(text: &str, list: &[&'a str]) -> Vec<&'a str> {
    list.iter()
        .copied()
        .filter(|phrase| text.contains(&format!(" {phrase} ")))
        .collect()
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why this incident looks like a report of crime, one reason each; empty when nothing does.
/// Says nothing about whether a decision was made: the caller checks that.
pub fn crime_indicators(incident: &Incident, reference: &ReferenceData) -> Vec<String> {
    let mut reasons = Vec::new();
    let crime_category = |category: &Code| {
        reference
            .category(category)
            .is_some_and(|c| c.group == CategoryGroup::Crime)
    };
    if let Some(code) = &incident.incident_type
        && reference
            .incident_type(code.as_str())
            .is_some_and(|t| crime_category(&t.category))
    {
        reasons.push(format!("incident type {code} is in the Crime category"));
    }
    if let Some(closure) = &incident.closure
        && reference
            .closing_code(closure.closing_code.as_str())
            .is_some_and(|c| crime_category(&c.category))
    {
        reasons.push(format!(
            "closing code {} is in the Crime category",
            closure.closing_code
        ));
    }
    let mut narrative = String::new();
    for contact in &incident.contacts {
        narrative.push_str(&contact.summary);
        narrative.push('\n');
    }
    for entry in &incident.log {
        narrative.push_str(&entry.text);
        narrative.push('\n');
    }
    if let Some(closure) = &incident.closure {
        narrative.push_str(&closure.resolution);
    }
    let narrative = words(&narrative);
    let domestic = incident
        .qualifiers
        .iter()
        .chain(incident.closure.iter().flat_map(|c| c.qualifiers.iter()))
        .any(|q| q.as_str() == DOMESTIC_ABUSE);
    let violence = found(&narrative, VIOLENCE_WORDS);
    if domestic && !violence.is_empty() {
        reasons.push(format!(
            "domestic abuse qualifier with violence described ({})",
            quoted(&violence)
        ));
    }
    let offences = found(&narrative, OFFENCE_WORDS);
    if !offences.is_empty() {
        reasons.push(format!("the account mentions {}", quoted(&offences)));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_only() {
        let text = words("The WHITE van; he hit-and-ran. Broke   in via the back.");
        assert_eq!(found(&text, VIOLENCE_WORDS), ["hit"]);
        assert_eq!(found(&text, OFFENCE_WORDS), ["broke in"]);
        assert!(found(&words("a whiteboard was lost"), OFFENCE_WORDS).is_empty());
    }
}
