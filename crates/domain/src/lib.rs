//! The pure core of Control Room: the words of the control room as types, and the rules
//! that decide what may happen to them.
//!
//! Architecture invariant: this crate does no I/O, spawns nothing and never reads the system
//! clock. Time arrives through [`Clock`]; everything else arrives as arguments. CI fails if its
//! dependency tree contains tokio, sqlx, axum or tantivy (`.ci/run`).

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
pub mod limits;
pub mod ncrs;
pub mod pole;
pub mod reference;
pub mod resources;
pub mod roles;
pub mod sign_in;
pub mod stream;
pub mod text;
pub mod user;

pub use clock::{Clock, ManualClock};
pub use text::Invalid;
