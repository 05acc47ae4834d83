//! Terminal renderings of what the use cases return: tables for people.
//! Files for machines (CSV, JSON, XLSX) and the plain text reports of a
//! payment run, a reconciliation and the checks are `pcn-export`'s.

pub mod appointments;
pub mod arrs;
pub mod network;
pub mod plan;
pub mod services;
