//! Helpers shared by the domain's case-file tests.

use controlroom_domain::reference::{ReferenceData, SourceFile};

/// The shipped reference data (`reference/*.psv`), compiled in so the tests need no files at run time.
pub fn reference() -> ReferenceData {
    macro_rules! file {
        ($name:literal) => {
            SourceFile {
                name: concat!("reference/", $name),
                text: include_str!(concat!("../../../../reference/", $name)),
            }
        };
    }
    ReferenceData::load(&[
        file!("nsir-categories.psv"),
        file!("incident-types.psv"),
        file!("qualifiers.psv"),
        file!("closing-codes.psv"),
        file!("agencies.psv"),
        file!("dash-questions.psv"),
        file!("grading-policy.psv"),
        file!("offence-classifications.psv"),
    ])
    .unwrap()
}
