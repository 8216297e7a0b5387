//! The reference data the system runs with: the national lists shipped in `reference/`
//! (built into the binary), extended by a force's own files from a directory if one is given.

use controlroom_domain::reference::{ReferenceData, ReferenceError, SourceFile};
use std::path::Path;

/// The shipped files, as built into the binary.
pub use controlroom_domain::reference::SHIPPED;

/// The national lists alone.
pub fn shipped() -> Result<ReferenceData, ReferenceError> {
    let files: Vec<SourceFile<'_>> = SHIPPED
        .iter()
        .map(|(name, text)| SourceFile { name, text })
        .collect();
    ReferenceData::load(&files)
}

/// The national lists plus every `*.psv` file in `force_dir` (a force's additions). Any
/// problem names the file and line.
pub fn load(force_dir: Option<&Path>) -> Result<ReferenceData, ReferenceError> {
    let Some(dir) = force_dir else {
        return shipped();
    };
    let unreadable = |path: &Path, e: std::io::Error| ReferenceError {
        file: path.display().to_string(),
        line: 0,
        message: format!("cannot be read: {e}"),
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "psv"))
        .collect();
    paths.sort();
    let mut texts = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
        texts.push((path.display().to_string(), text));
    }
    let mut files: Vec<SourceFile<'_>> = SHIPPED
        .iter()
        .map(|(name, text)| SourceFile { name, text })
        .collect();
    files.extend(texts.iter().map(|(name, text)| SourceFile { name, text }));
    ReferenceData::load(&files)
}

#[cfg(test)]
mod default_settings_tests {
    /// The defaults every subcommand and test starts from run on UK time and the shipped
    /// lists, never on a silent fallback.
    #[test]
    fn default_settings_are_uk_time_and_the_shipped_lists() {
        let settings = crate::Settings::default();
        assert_eq!(settings.time_zone.iana_name(), Some("Europe/London"));
        assert!(!settings.reference.incident_types.is_empty());
        assert!(!settings.reference.closing_codes.is_empty());
        assert!(!settings.reference.offences.is_empty());
    }
}
