//! Helpers shared by the domain's case-file tests.
#![allow(dead_code)]

use controlroom_domain::reference::{ReferenceData, SourceFile};

/// The shipped reference files (`reference/*.psv`), compiled in so the tests need no files at
/// run time.
pub fn shipped_files() -> Vec<SourceFile<'static>> {
    macro_rules! file {
        ($name:literal) => {
            SourceFile {
                name: concat!("reference/", $name),
                text: include_str!(concat!("../../../../reference/", $name)),
            }
        };
    }
    vec![
        file!("nsir-categories.psv"),
        file!("incident-types.psv"),
        file!("qualifiers.psv"),
        file!("closing-codes.psv"),
        file!("agencies.psv"),
        file!("dash-questions.psv"),
        file!("grading-policy.psv"),
        file!("offence-classifications.psv"),
    ]
}

/// The shipped reference data.
pub fn reference() -> ReferenceData {
    ReferenceData::load(&shipped_files()).unwrap()
}
