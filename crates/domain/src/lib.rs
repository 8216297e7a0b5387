//! The pure core of Control Room: the words of the control room as types, and the rules
//! that decide what may happen to them.
//!
//! Architecture invariant: this crate does no I/O, spawns nothing and never reads the system
//! clock. Time arrives through [`Clock`]; everything else arrives as arguments. CI fails if its
//! dependency tree contains tokio, sqlx, axum or tantivy (`.ci/run`).

/// An id over one value (a UUID): shown, serialised and deserialised as that value.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident($inner:ty)) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

/// A checked text (a newtype over `String`): read from text by `$parse`, written as its text.
macro_rules! text_value {
    ($name:ident, $parse:expr) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::text::Invalid;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                ($parse)(value.as_str())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub mod aggregate;
pub mod assessment;
pub mod audit;
pub mod clock;
pub mod clocks;
pub mod closure;
pub mod contact;
pub mod crime;
pub mod diary;
pub mod gazetteer;
pub mod grading;
pub mod hocr;
pub mod incident;
pub mod investigation;
pub mod limits;
pub mod ncrs;
pub mod partner;
pub mod pole;
pub mod reference;
pub mod resources;
pub mod roles;
pub mod safeguarding;
pub mod sign_in;
pub mod stream;
pub mod tasking;
pub mod text;
pub mod user;

pub use clock::{Clock, ManualClock};
pub use text::Invalid;
