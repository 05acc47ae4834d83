//! The services CSVs: care home rounds, care plans, planned and delivered
//! enhanced access sessions. Each is recognised by its header, read whole,
//! or refused with every bad cell named by row and column.

mod common;

use chrono::Weekday;
use common::*;
use pcn_core::services::{SessionDay, SessionMode};
use pcn_core::SourceKind;

#[test]
fn rounds_are_read_with_their_rows() {
    let text = "date,location_id,post_id,residents_reviewed\n\
                2025-04-15,1-101234567,12,4\n2025-04-24,1-101234567,14,0\n";
    let p = read_as(
        parse_text("rounds.csv", text).unwrap(),
        SourceKind::CareHomeRounds,
        d(2025, 4, 24),
    );
    let r = &p.facts.services.rounds;
    assert_eq!(r.len(), 2);
    assert_eq!(
        (r[0].post, r[0].residents_reviewed, r[0].row),
        (12, 4, Some(2))
    );
    assert_eq!(r[1].location_id, "1-101234567");
}

#[test]
fn bad_rounds_name_file_row_and_column() {
    let e = parse_text(
        "rounds.csv",
        "date,location_id,post_id,residents_reviewed\n2025-02-30,1-101234567,12,4\n2025-04-15,101234567,twelve,-1\n",
    )
    .unwrap_err();
    let text = e.to_string();
    assert_says(
        &text,
        &[
            "rounds.csv: row 2, column date, value \"2025-02-30\": not a date",
            "row 3, column location_id, value \"101234567\"",
            "row 3, column post_id, value \"twelve\": not a post id",
            "row 3, column residents_reviewed, value \"-1\"",
        ],
    );
}

#[test]
fn care_plans_are_read_and_a_plan_before_admission_is_refused() {
    let p = parse_text(
        "plans.csv",
        "resident,location_id,admission_date,plan_date\nR-0001,1-101234567,2025-04-17,2025-04-30\nR-0002,1-101234567,2025-04-28,\n",
    )
    .unwrap();
    assert_eq!(p.kind, SourceKind::CarePlans);
    let c = &p.facts.services.care_plans;
    assert_eq!(c[0].planned, Some(d(2025, 4, 30)));
    assert_eq!(c[1].planned, None);
    let e = parse_text(
        "plans.csv",
        "resident,location_id,admission_date,plan_date\nR-1,1-1,2025-04-17,2025-04-16\n4857773456,1-1,2025-04-17,\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(
            "row 2, column plan_date, value \"2025-04-16\": the plan is dated before the admission"
        ),
        "{e}"
    );
    assert!(
        e.contains("row 3, column resident, value \"4857773456\": not a pseudonymous reference"),
        "{e}"
    );
}

#[test]
fn a_weekly_plan_of_sessions_is_read() {
    let p = parse_text(
        "plan.csv",
        "pcn_code,site,day,start,end,post_id,appointments_offered,mode\n\
         U89141,Main Street Surgery,Saturday,09:00,13:00,12,16,face-to-face\n\
         U89141,Main Street Surgery,Tue,17:00,20:30,14,10,remote\n",
    );
    // A plan with no dates needs --as-at for its data date.
    let e = p.unwrap_err().to_string();
    assert!(e.contains("give --as-at"), "{e}");
    let o = pcn_import::ImportOptions {
        as_at: Some(d(2025, 6, 1)),
        ..opts()
    };
    let p = pcn_import::parse_bytes(
        "plan.csv",
        b"pcn_code,site,day,start,end,post_id,appointments_offered,mode\nU89141,Main,Saturday,09:00,13:00,12,16,f2f\nU89141,Main,Tue,17:00,20:30,14,10,telephone\n",
        &o,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(p.kind, SourceKind::AccessSessionsPlanned);
    let s = &p.facts.services.planned_sessions;
    assert_eq!(s[0].day, SessionDay::Weekly(Weekday::Sat));
    assert_eq!((s[0].start, s[0].end), (540, 780));
    assert_eq!(s[1].mode, SessionMode::Remote);
    assert_eq!(s[1].minutes(), 210);
}

#[test]
fn a_malformed_time_or_a_session_outside_its_week_is_refused() {
    let e = parse_text(
        "delivered.csv",
        "pcn_code,site,date,start,end,post_id,appointments_offered,mode,week_commencing\n\
         U89141,Main,2025-06-07,9.00,13:00,12,16,face-to-face,2025-06-02\n\
         U89141,Main,2025-06-10,18:30,20:00,12,6,remote,2025-06-02\n\
         U89141,Main,2025-06-03,20:00,18:30,12,6,remote,2025-06-02\n\
         U89141,Main,2025-06-03,18:30,20:00,12,6,by owl,2025-06-03\n",
    )
    .unwrap_err()
    .to_string();
    assert_says(
        &e,
        &[
            "delivered.csv: row 2, column start, value \"9.00\": not a time",
            "row 3, column date, value \"2025-06-10\": the session is outside the week commencing 2025-06-02",
            "row 4, column end, value \"18:30\": ends at or before it starts",
            "row 5, column mode, value \"by owl\"",
            "row 5, column week_commencing, value \"2025-06-03\": 2025-06-03 is a Tue, not a Monday",
        ],
    );
}

#[test]
fn delivered_sessions_are_read() {
    let text = "pcn_code,site,date,start,end,post_id,appointments_offered,mode\n\
                U89141,Main,2025-06-07,09:00,13:00,12,16,face-to-face\n";
    let p = read_as(
        parse_text("delivered.csv", text).unwrap(),
        SourceKind::AccessSessionsDelivered,
        d(2025, 6, 7),
    );
    assert_eq!(
        p.facts.services.delivered_sessions[0].day,
        SessionDay::On(d(2025, 6, 7))
    );
}
