//! The longest value, and the longest list, accepted for every kind of input: declared once
//! here, applied by the parsers in this crate ([`crate::text::required_text`] and friends) and
//! by the application services, and advertised in the OpenAPI document (`max_length`). A value
//! over its limit is refused with 422 and a detail naming the field and the limit
//! (`summary: at most 4,000 characters (4,001 given)`), before it costs a search or writes
//! a large record to the audit trail.
//!
//! Lengths are in characters (Unicode scalar values) after trimming, except where the name
//! says bytes. The whole request body is bounded too ([`BODY_BYTES`]).

use crate::text::Invalid;

// ---- Free text ----

/// What a caller says is happening, a log entry, a resolution, a crime's modus operandi.
pub const NARRATIVE: usize = 4_000;
/// A decision's rationale (grading, override, reopening, removal of a crime), NDM fields,
/// advice given, a person's description.
pub const RATIONALE: usize = 2_000;
/// Why a marker was added or withdrawn, a merge, a reclassification, an assessment answer.
pub const REASON: usize = 1_000;
/// A short note or reason: a unit's status change, a reassignment, a diary cancellation, a
/// link's note, a property description.
pub const SHORT_REASON: usize = 500;

// ---- Names, places and identifiers ----

/// A person's name (one of their names), a caller's name.
pub const NAME: usize = 200;
/// An address or a location as described.
pub const ADDRESS: usize = 500;
/// Where a marker's information came from (a reference or a name).
pub const SOURCE: usize = 200;
/// A telephone number as typed (spaces, brackets and a `+` included).
pub const PHONE: usize = 32;
pub const POSTCODE: usize = 10;
/// A Unique Property Reference Number (up to 12 digits).
pub const UPRN: usize = 12;
/// A date as typed (YYYY-MM-DD).
pub const DATE: usize = 10;
/// A short code: closing code, qualifier, incident type, area, classification.
pub const CODE: usize = 48;
/// A unit's call sign (e.g. AL11).
pub const CALL_SIGN: usize = 16;
/// A station's name, a crew member's name or collar number.
pub const LABEL: usize = 100;
/// A vehicle's make or model, a property serial number.
pub const DETAIL: usize = 60;
/// A colour, a gender, a beat.
pub const SHORT_DETAIL: usize = 40;
/// A crime reference given when closing an incident.
pub const CRIME_REFERENCE: usize = 64;
/// An `Idempotency-Key` header, in ASCII characters.
pub const IDEMPOTENCY_KEY: usize = 255;
/// A username (an account's stable name, stamped on every record), in ASCII characters.
pub const USERNAME: usize = 32;
/// A password, in bytes (long pass phrases are welcome; hashing a megabyte is not).
pub const PASSWORD_BYTES: usize = 1_024;

// ---- Searches ----

/// A name searched for.
pub const SEARCH_NAME: usize = 200;
/// A telephone number searched for.
pub const SEARCH_PHONE: usize = 40;
/// A registration searched for.
pub const SEARCH_VRM: usize = 20;
/// A serial number searched for.
pub const SEARCH_SERIAL: usize = 60;
/// A location searched for.
pub const SEARCH_LOCATION: usize = 300;
/// An address typed into the gazetteer search.
pub const ADDRESS_QUERY: usize = 200;

// ---- Lists ----

/// Qualifiers on an incident.
pub const QUALIFIERS: usize = 20;
/// Names, phones or addresses of one person.
pub const PER_PERSON: usize = 20;
/// Answers to a question set in one request.
pub const ANSWERS: usize = 100;
/// Skills or crew members of a unit.
pub const PER_UNIT: usize = 20;
/// Slot times opened in one request.
pub const SLOT_TIMES: usize = 96;
/// Parties (victims, suspects, witnesses) named on a crime.
pub const PARTIES: usize = 100;
/// Incidents whose warnings are asked for at once.
pub const WARNINGS_AT_ONCE: usize = 100;
/// Rows in one incident list.
pub const INCIDENT_LIST: usize = 500;

// ---- Requests ----

/// The largest request body accepted (413 beyond it).
pub const BODY_BYTES: usize = 64 * 1024;
/// The longest string anywhere in a request body, whatever the field: a backstop under the
/// field limits above (none is longer), so no field is unbounded even before it is parsed.
pub const ANY_TEXT: usize = NARRATIVE;
/// The longest list anywhere in a request body: a backstop under the list limits above.
pub const ANY_LIST: usize = 500;
/// The longest query string, in bytes (100 incident ids for the warnings fit).
pub const QUERY_BYTES: usize = 8 * 1024;

/// Every length limit above with its name, for tests and documentation.
pub const ALL: &[(&str, usize)] = &[
    ("NARRATIVE", NARRATIVE),
    ("RATIONALE", RATIONALE),
    ("REASON", REASON),
    ("SHORT_REASON", SHORT_REASON),
    ("NAME", NAME),
    ("ADDRESS", ADDRESS),
    ("SOURCE", SOURCE),
    ("PHONE", PHONE),
    ("POSTCODE", POSTCODE),
    ("UPRN", UPRN),
    ("DATE", DATE),
    ("CODE", CODE),
    ("CALL_SIGN", CALL_SIGN),
    ("LABEL", LABEL),
    ("DETAIL", DETAIL),
    ("SHORT_DETAIL", SHORT_DETAIL),
    ("CRIME_REFERENCE", CRIME_REFERENCE),
    ("IDEMPOTENCY_KEY", IDEMPOTENCY_KEY),
    ("USERNAME", USERNAME),
    ("PASSWORD_BYTES", PASSWORD_BYTES),
    ("SEARCH_NAME", SEARCH_NAME),
    ("SEARCH_PHONE", SEARCH_PHONE),
    ("SEARCH_VRM", SEARCH_VRM),
    ("SEARCH_SERIAL", SEARCH_SERIAL),
    ("SEARCH_LOCATION", SEARCH_LOCATION),
    ("ADDRESS_QUERY", ADDRESS_QUERY),
    ("ANY_TEXT", ANY_TEXT),
];

/// Every list limit above with its name.
pub const ALL_LISTS: &[(&str, usize)] = &[
    ("QUALIFIERS", QUALIFIERS),
    ("PER_PERSON", PER_PERSON),
    ("ANSWERS", ANSWERS),
    ("PER_UNIT", PER_UNIT),
    ("SLOT_TIMES", SLOT_TIMES),
    ("PARTIES", PARTIES),
    ("WARNINGS_AT_ONCE", WARNINGS_AT_ONCE),
    ("INCIDENT_LIST", INCIDENT_LIST),
    ("ANY_LIST", ANY_LIST),
];

// Checked when the crate compiles: the ordering the names promise, and room in a request.
const _: () = {
    assert!(SHORT_REASON < REASON && REASON < RATIONALE && RATIONALE < NARRATIVE);
    assert!(NAME <= ADDRESS && PHONE <= SEARCH_PHONE && CODE <= LABEL);
    // A narrative at its limit, even in four-byte characters, fits in a body.
    assert!(BODY_BYTES >= 4 * NARRATIVE * 4);
    assert!(BODY_BYTES <= 1024 * 1024);
    // A board's warnings (100 incident ids of 36 characters and a comma) fit in a query.
    assert!(QUERY_BYTES >= WARNINGS_AT_ONCE * 37 + 20);
};

/// `4000` as a person reads it: `4,000`.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The refusal of a value over its limit: `at most 4,000 characters (4,001 given)`.
pub fn too_long(field: &str, max: usize, given: usize) -> Invalid {
    Invalid::new(
        field,
        format!(
            "at most {} characters ({} given)",
            grouped(max),
            grouped(given)
        ),
    )
}

/// Refuse a value longer than `max` characters (blank and absent values pass: whether a
/// field is required is the parser's business).
pub fn check_length(field: &str, raw: &str, max: usize) -> Result<(), Invalid> {
    // Count no further than needed: a huge value is refused without walking all of it.
    let given = raw.trim().chars().take(max.saturating_add(1)).count();
    if given > max {
        return Err(too_long(field, max, raw.trim().chars().count()));
    }
    Ok(())
}

/// Refuse a list of more than `max` items: `qualifiers: at most 20 items (21 given)`.
pub fn check_items(field: &str, given: usize, max: usize) -> Result<(), Invalid> {
    if given > max {
        return Err(Invalid::new(
            field,
            format!("at most {} items ({} given)", grouped(max), grouped(given)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_is_positive_and_sane() {
        for (name, max) in ALL {
            assert!(*max > 0, "{name} is zero");
            // Nothing a person types in one field needs more than the narrative allows, and a
            // value at its limit must fit in a request body many times over.
            assert!(*max <= NARRATIVE, "{name} ({max}) is longer than NARRATIVE");
            assert!(
                max * 4 * 4 <= BODY_BYTES,
                "{name} ({max}) crowds the body limit"
            );
        }
        for (name, max) in ALL_LISTS {
            assert!(*max > 0, "{name} is zero");
            assert!(*max <= 1_000, "{name} ({max}) is not a sane list size");
        }
        for (name, max) in ALL {
            assert!(*max <= ANY_TEXT, "{name} ({max}) is over the backstop");
        }
        for (name, max) in ALL_LISTS {
            assert!(*max <= ANY_LIST, "{name} ({max}) is over the backstop");
        }
        let mut names: Vec<_> = ALL.iter().chain(ALL_LISTS).map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len() + ALL_LISTS.len(), "names are unique");
    }

    #[test]
    fn refusals_name_the_field_and_the_limit() {
        assert_eq!(grouped(4000), "4,000");
        assert_eq!(grouped(12), "12");
        assert_eq!(grouped(1_234_567), "1,234,567");
        let err = check_length("summary", &"x".repeat(4001), NARRATIVE).unwrap_err();
        assert_eq!(
            err.to_string(),
            "summary: at most 4,000 characters (4,001 given)"
        );
        assert!(check_length("summary", &"x".repeat(4000), NARRATIVE).is_ok());
        assert!(check_length("summary", "  ", NARRATIVE).is_ok());
        let err = check_items("qualifiers", 21, QUALIFIERS).unwrap_err();
        assert_eq!(err.to_string(), "qualifiers: at most 20 items (21 given)");
        assert!(check_items("qualifiers", 20, QUALIFIERS).is_ok());
    }
}
