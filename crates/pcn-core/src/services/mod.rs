//! Services: what a network must deliver under the Network Contract DES
//! service specifications, and whether it does and can.
//!
//! The requirements, the roles that may deliver them and the workload
//! assumptions are data (`rules/<year>.toml`, `[services]`; see
//! `crate::rulebook`). This module is pure: records, the registry's
//! alignments, the roster and a statement come in; compliance, shortfalls,
//! capacity and plain answers go out.
//!
//! - [`calendar`]: weeks (Monday to Sunday) and working days across bank holidays.
//! - [`records`]: rounds, care plans, access sessions; care home alignments by
//!   date; the checks that need the registry and the roster.
//! - [`care_homes`]: weekly round compliance per home and week; care plan timeliness.
//! - [`access`]: enhanced access minutes inside the Network Standard Hours,
//!   the requirement, the shortfall, the sessions' cost against the payment.
//! - [`costs`]: a post's cost and ARRS reimbursement per hour.
//! - [`capacity`]: hours required against hours available by role, income
//!   against staff cost, and a what-if adding a post.
//! - [`partners`]: a network's partners with the services they deliver.
//! - [`view`]: a network's (or every network's) services over a run of
//!   weeks, assembled from the above with plain answers.

pub mod access;
pub mod calendar;
pub mod capacity;
pub mod care_homes;
pub mod costs;
pub mod partners;
pub mod records;
pub mod view;

pub use access::{access_week, required_minutes, AccessInputs, AccessWeek, SessionLine};
pub use calendar::{Calendar, Week};
pub use capacity::{
    capacity, demands, planned_post, supply, weekly_income, what_if, Capacity, Demand, NetworkWeek,
    RoleLine, ServiceCapacity, WhatIf,
};
pub use care_homes::{
    care_plan_timeliness, owing_network, round_compliance, summarise_rounds, HomeWeek, PlanCheck,
    PlanStatus, RoundSummary,
};
pub use costs::{Costed, PostCosts};
pub use partners::{partners, PartnerLine};
pub use records::{
    validate_care_plans, validate_rounds, validate_sessions, AccessSession, Alignments,
    CareHomeRound, CarePlanRecord, RecordProblem, ServiceRecords, SessionDay, SessionMode,
};
pub use view::{
    access_requirements, compliance_row, AccessRequirement, ComplianceRow, HomeLine,
    NetworkServices, ServicesIndex, ServicesInput, ServicesWeek,
};
