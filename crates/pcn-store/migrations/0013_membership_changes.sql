-- Membership changes recorded by hand (issue 13): a practice joins, moves
-- to or leaves a network from a date, as its commissioner agreed, before or
-- beside the official files. Portable SQL as in 0001-0012. Rows are only
-- ever added; a practice's changes are read in the order recorded
-- (recorded_at), and the registry weighs each as dated evidence
-- (pcn_core::registry). pcn_code 'U' records that the practice left every
-- network. Each row has its audit row (entity 'practice', action 'move').

CREATE TABLE membership_change (
    practice_code TEXT NOT NULL,
    pcn_code TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    note TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX membership_change_by_practice ON membership_change (practice_code, recorded_at);
