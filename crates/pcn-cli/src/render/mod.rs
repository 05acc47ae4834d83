//! Terminal renderings of what the use cases return: tables for people.
//! Files for machines (CSV, JSON, XLSX) are `pcn-export`'s.

pub mod appointments;
pub mod arrs;
pub mod check;
pub mod network;
pub mod pay;
pub mod plan;
pub mod reconcile;
pub mod services;
