//! Validated text: every free-text value that enters the system is parsed here once, so the
//! rest of the code can trust it (trimmed, non-empty, bounded, no control characters).

/// Why a value was refused, in words a contact handler can act on. `field` names the input
/// (as the API and the console call it) so the message can be shown next to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Prefix the field with its parent, e.g. `name` inside `caller` becomes `caller.name`.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

/// Trim `raw` and check it is present, not longer than `max` characters, and free of control
/// characters other than newlines and tabs (which a multi-line log entry needs).
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, "is required and cannot be blank"));
    }
    crate::limits::check_length(field, text, max)?;
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(Invalid::new(field, "contains control characters"));
    }
    Ok(text.to_owned())
}

/// Optional text: `None` or blank means absent.
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, Invalid> {
    match raw {
        Some(text) if !text.trim().is_empty() => required_text(field, text, max).map(Some),
        _ => Ok(None),
    }
}

/// A short code (closing code, qualifier, incident type). Free codes until the national lists
/// arrive: letters, digits, space, `-`, `_`, `/` and `.`, stored upper-case.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl Code {
    pub const MAX_LEN: usize = crate::limits::CODE;

    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        let text = required_text(field, raw, Self::MAX_LEN)?;
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_/.".contains(c))
        {
            return Err(Invalid::new(
                field,
                "may contain only letters, digits, spaces and - _ / .",
            ));
        }
        Ok(Self(text.to_ascii_uppercase()))
    }

    /// A code the program itself names (a default, not input): upper-case letters, digits
    /// and `-`/`_` only, which every such constant's test holds it to.
    pub(crate) fn constant(code: &'static str) -> Self {
        debug_assert!(
            Self::parse("code", code).is_ok_and(|c| c.0 == code),
            "{code}"
        );
        Self(code.to_owned())
    }
}

text_value!(Code, |raw| Code::parse("code", raw));

/// A person's name as given (a caller's, or one of a person record's names and aliases):
/// on one line, with runs of spaces, tabs or line breaks written as one space, never blank,
/// at most [`crate::limits::NAME`] characters. Names are otherwise kept exactly as given:
/// spelling, case and accents are the caller's, and search folds them, not this type.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        let text = required_text(field, raw, crate::limits::NAME)?;
        Ok(Self(text.split_whitespace().collect::<Vec<_>>().join(" ")))
    }
}

text_value!(PersonName, |raw| PersonName::parse("name", raw));

/// A moment as typed (RFC 3339 with an offset, `2026-11-23T03:00:00Z`): the one reading of
/// times given at every edge (API bodies and queries, the command line).
pub fn parse_time(field: &str, raw: &str) -> Result<jiff::Timestamp, Invalid> {
    raw.trim().parse().map_err(|_| {
        Invalid::new(
            field,
            format!("'{raw}' is not a time; use RFC 3339, e.g. 2026-11-23T03:00:00Z"),
        )
    })
}

/// One of a fixed list of words (a type's `FromStr`), or why not: "'`raw`' is not `what`".
pub fn parse_word<T: std::str::FromStr>(field: &str, raw: &str, what: &str) -> Result<T, Invalid> {
    let word = raw.trim();
    word.parse()
        .map_err(|_| Invalid::new(field, format!("'{word}' is not {what}")))
}

/// A calendar date as typed (`2026-11-23`).
pub fn parse_date(field: &str, raw: &str) -> Result<jiff::civil::Date, Invalid> {
    raw.trim()
        .parse()
        .map_err(|_| Invalid::new(field, format!("'{raw}' is not a date; use YYYY-MM-DD")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_refuses_blank() {
        assert_eq!(required_text("summary", "  help  ", 10).unwrap(), "help");
        let err = required_text("summary", "   ", 10).unwrap_err();
        assert_eq!(err.field, "summary");
        assert!(err.message.contains("required"));
    }

    #[test]
    fn required_text_refuses_too_long_and_control_characters() {
        assert!(
            required_text("x", "abcdef", 5)
                .unwrap_err()
                .message
                .contains("at most 5 characters")
        );
        assert!(required_text("x", "a\u{0007}b", 5).is_err());
        assert_eq!(required_text("x", "a\nb", 5).unwrap(), "a\nb");
    }

    #[test]
    fn codes_are_upper_case_and_restricted() {
        assert_eq!(
            Code::parse("closing_code", " nfa-advice ")
                .unwrap()
                .as_str(),
            "NFA-ADVICE"
        );
        assert!(Code::parse("closing_code", "drop table;").is_err());
        assert!(Code::parse("closing_code", "").is_err());
    }

    #[test]
    fn a_name_is_one_line_as_given() {
        let name = PersonName::parse("caller.name", "  Zoë   O'Brien-Łukasz\n ").unwrap();
        assert_eq!(name.as_str(), "Zoë O'Brien-Łukasz");
        // What was stored before names were a type (tabs and line breaks were allowed) still
        // reads back, so no stored stream stops folding.
        let stored: PersonName = serde_json::from_str("\"Jane\\tDoe\"").unwrap();
        assert_eq!(stored, "Jane Doe");
        assert_eq!(serde_json::to_string(&stored).unwrap(), "\"Jane Doe\"");
        assert_eq!(
            PersonName::parse("names[0]", " ").unwrap_err().field,
            "names[0]"
        );
        let long = "x".repeat(crate::limits::NAME + 1);
        assert!(PersonName::parse("caller.name", &long).is_err());
    }
}
