//! Helpers shared by the domain's case-file tests.
#![allow(dead_code)]

use controlroom_domain::reference::{ReferenceData, SourceFile};

/// The shipped reference files (`reference/*.psv`), compiled in so the tests need no files at
/// run time.
pub fn shipped_files() -> Vec<SourceFile<'static>> {
    controlroom_domain::reference::shipped_files()
}

/// The shipped reference data.
pub fn reference() -> ReferenceData {
    ReferenceData::load(&shipped_files()).unwrap()
}
