-- How each network divides the money paid to it among its member practices,
-- per financial year, as its network agreement sets it. Rows are appended:
-- the latest for a network and year is in force, the earlier ones are history.
CREATE TABLE distribution_agreement (
    id BIGINT PRIMARY KEY,
    pcn_code TEXT NOT NULL,
    financial_year TEXT NOT NULL,
    -- registered-list | weighted-list | equal | percentages
    method TEXT NOT NULL,
    -- Exact decimal text: the percentage kept back for network costs first.
    top_slice_percent TEXT NOT NULL,
    -- For percentages: "A81001=40;A81002=60" (per cent, exact decimals).
    shares TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX distribution_agreement_by_year ON distribution_agreement (financial_year, pcn_code);
