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

/// The words of a text, lower-cased, in order: what the phrase lists are matched against,
/// whole words only (`hit` does not match "white"). Made once per incident, in one pass, so
/// looking for every phrase costs one pass too however long the log has grown.
struct Words {
    lowered: String,
}

impl Words {
    fn of(text: &str) -> Self {
        Self {
            lowered: text.to_lowercase(),
        }
    }

    fn list(&self) -> Vec<&str> {
        self.lowered
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect()
    }

    /// The phrases of `list` that appear, as whole words in a row, in the list's order.
    fn found<'a>(&self, list: &[&'a str]) -> Vec<&'a str> {
        let phrases: Vec<Vec<&str>> = list.iter().map(|p| p.split(' ').collect()).collect();
        let mut by_first: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        for (n, phrase) in phrases.iter().enumerate() {
            if let Some(first) = phrase.first() {
                by_first.entry(first).or_default().push(n);
            }
        }
        let words = self.list();
        let mut seen = vec![false; list.len()];
        for (at, word) in words.iter().enumerate() {
            for &n in by_first.get(word).into_iter().flatten() {
                if words[at..].starts_with(&phrases[n]) {
                    seen[n] = true;
                }
            }
        }
        list.iter()
            .zip(seen)
            .filter_map(|(phrase, seen)| seen.then_some(*phrase))
            .collect()
    }
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The phrases of both lists (offences, violence) that `text` holds: what a log entry adds
/// to its incident's [`Incident::log_phrases`] as it is folded.
pub fn phrases(text: &str) -> Vec<&'static str> {
    let words = Words::of(text);
    let mut found = words.found(OFFENCE_WORDS);
    found.extend(words.found(VIOLENCE_WORDS));
    found
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
    // The log's phrases were gathered entry by entry as it was folded; the rest is short.
    let mut narrative = String::new();
    for contact in &incident.contacts {
        narrative.push_str(&contact.summary);
        narrative.push('\n');
    }
    if let Some(closure) = &incident.closure {
        narrative.push_str(&closure.resolution);
    }
    let narrative = Words::of(&narrative);
    let in_all = |list: &[&'static str]| -> Vec<&'static str> {
        let here = narrative.found(list);
        list.iter()
            .copied()
            .filter(|p| here.contains(p) || incident.log_phrases.contains(p))
            .collect()
    };
    let domestic = incident
        .qualifiers
        .iter()
        .chain(incident.closure.iter().flat_map(|c| c.qualifiers.iter()))
        .any(|q| q.as_str() == DOMESTIC_ABUSE);
    let violence = in_all(VIOLENCE_WORDS);
    if domestic && !violence.is_empty() {
        reasons.push(format!(
            "domestic abuse qualifier with violence described ({})",
            quoted(&violence)
        ));
    }
    let offences = in_all(OFFENCE_WORDS);
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
        let text = Words::of("The WHITE van; he hit-and-ran. Broke   in via the back.");
        assert_eq!(text.found(VIOLENCE_WORDS), ["hit"]);
        assert_eq!(text.found(OFFENCE_WORDS), ["broke in"]);
        assert!(
            Words::of("a whiteboard was lost")
                .found(OFFENCE_WORDS)
                .is_empty()
        );
        // A phrase at the very end, and one split across a line break, are still found.
        assert_eq!(
            Words::of("they broke\nin").found(OFFENCE_WORDS),
            ["broke in"]
        );
        assert!(Words::of("broke").found(OFFENCE_WORDS).is_empty());
    }
}
