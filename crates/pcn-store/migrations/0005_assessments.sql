-- A commissioner's assessment of how much of a stream paid on achievement a
-- network has earned in a year (the Capacity and Access Improvement Payment,
-- for one), as a fraction from 0 to 1. Appended: the latest is in force.
CREATE TABLE assessment (
    id BIGINT PRIMARY KEY,
    pcn_code TEXT NOT NULL,
    financial_year TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    -- Exact decimal text, 0 to 1.
    earned TEXT NOT NULL,
    note TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX assessment_by_year ON assessment (financial_year, pcn_code, stream_id);
