//! The pure core of pcn.
//!
//! Domain types, the registry as at a date, and the Network Contract DES
//! network checks. Everything here takes data in and gives findings back:
//! no files, no database, no network, no clock.

pub mod access;
pub mod arrs;
pub mod arrs_census;
pub mod checks;
pub mod codes;
pub mod dates;
pub mod demo;
pub mod facts;
pub mod funding;
pub mod geo;
pub mod money;
pub mod registry;
pub mod rulebook;

pub use codes::{CodeError, IcbCode, PcnCode, PracticeCode, RegionCode, SubIcbCode};
pub use facts::*;
