-- The services networks deliver (issue 14): care home rounds, care plans and
-- enhanced access sessions (the weekly plan and what was delivered), and care
-- home alignments entered one at a time. Portable SQL as in 0001-0009.
--
-- A record comes from an import (import_id, source_row: the file's row) or is
-- entered one at a time in the app or CLI (import_id NULL, with its audit
-- row). Rows are only ever added: a later record of the same round, care plan
-- or session replaces an earlier one when the records are read
-- (pcn_core::services::ServiceRecords::current), so what was said before is
-- kept. recorded_at orders them (an import's rows share its time, in file
-- order by source_row).

CREATE TABLE care_home_round (
    import_id BIGINT REFERENCES import_log (id),
    source_row BIGINT,
    location_id TEXT NOT NULL,
    round_date TEXT NOT NULL,
    post_id BIGINT NOT NULL REFERENCES arrs_post (id),
    residents_reviewed BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX care_home_round_by_import ON care_home_round (import_id);

CREATE TABLE care_plan (
    import_id BIGINT REFERENCES import_log (id),
    source_row BIGINT,
    -- A pseudonymous reference the network keeps; never a name or NHS number.
    resident TEXT NOT NULL,
    location_id TEXT NOT NULL,
    admitted TEXT NOT NULL,
    -- NULL while no plan has been made.
    planned TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX care_plan_by_import ON care_plan (import_id);

CREATE TABLE access_session (
    import_id BIGINT REFERENCES import_log (id),
    source_row BIGINT,
    -- planned (a weekly plan row: weekday, optional plan_from and plan_to)
    -- or delivered (session_date).
    kind TEXT NOT NULL,
    pcn_code TEXT NOT NULL,
    site TEXT NOT NULL,
    weekday TEXT,
    session_date TEXT,
    -- Minutes after midnight; start before end.
    start_minute BIGINT NOT NULL,
    end_minute BIGINT NOT NULL,
    post_id BIGINT NOT NULL REFERENCES arrs_post (id),
    appointments BIGINT NOT NULL,
    -- face-to-face | remote
    mode TEXT NOT NULL,
    plan_from TEXT,
    plan_to TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX access_session_by_import ON access_session (import_id);

-- Alignments entered one at a time (the CSV's go to care_home_alignment with
-- their import). Read with those, in the order recorded: a home's alignment
-- on a date is the one with the latest start on or before it, and of two
-- with the same start the one recorded later.
CREATE TABLE care_home_alignment_entry (
    location_id TEXT NOT NULL,
    pcn_code TEXT NOT NULL,
    aligned_from TEXT NOT NULL,
    aligned_to TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
