//! The pure core of pcn.
//!
//! Domain types, the registry as at a date, and the Network Contract DES
//! network checks. Everything here takes data in and gives findings back:
//! no files, no database, no network, no clock.

pub mod access;
pub mod appointments;
pub mod arrs;
pub mod checks;
pub mod codes;
pub mod dates;
pub mod demo;
pub mod demo_appointments;
pub mod demo_services;
pub mod facts;
pub mod funding;
pub mod geo;
pub mod gpad_facts;
pub mod money;
pub mod payrun;
pub mod plan;
pub mod reconcile;
pub mod registry;
pub mod rulebook;
pub mod services;
pub mod text;

pub use codes::{
    CodeError, CommissionerCode, IcbCode, PcnCode, PracticeCode, RegionCode, SubIcbCode,
};
pub use facts::*;
