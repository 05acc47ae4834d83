-- The registry: every fact with the import it came from. Nothing is updated
-- in place; the state as at a date is computed from the facts (pcn-core).
-- Portable SQL: the same file runs on SQLite and PostgreSQL. Dates are ISO
-- text (YYYY-MM-DD), timestamps RFC 3339 text, ids assigned by the application.

CREATE TABLE import_log (
    id BIGINT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    data_date TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    facts BIGINT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);

CREATE TABLE practice_fact (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    practice_code TEXT NOT NULL,
    as_at TEXT NOT NULL,
    name TEXT,
    postcode TEXT,
    sub_icb TEXT,
    sub_icb_name TEXT,
    icb TEXT,
    icb_name TEXT,
    region TEXT,
    region_name TEXT,
    open_date TEXT,
    close_date TEXT,
    status TEXT,
    prescribing_setting BIGINT,
    supplier TEXT,
    -- WGS84 coordinates in millionths of a degree (about 0.1 m): integers
    -- bind and compare identically on both engines.
    lat_e6 BIGINT,
    lon_e6 BIGINT,
    PRIMARY KEY (import_id, practice_code)
);

CREATE TABLE network_fact (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    pcn_code TEXT NOT NULL,
    as_at TEXT NOT NULL,
    name TEXT,
    sub_icb TEXT,
    open_date TEXT,
    close_date TEXT,
    postcode TEXT,
    PRIMARY KEY (import_id, pcn_code)
);

CREATE TABLE membership_interval (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    practice_code TEXT NOT NULL,
    pcn_code TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    PRIMARY KEY (import_id, practice_code, pcn_code, start_date)
);

CREATE TABLE membership_observation (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    practice_code TEXT NOT NULL,
    pcn_code TEXT NOT NULL,
    as_at TEXT NOT NULL,
    PRIMARY KEY (import_id, practice_code, pcn_code, as_at)
);

-- Registered patients by sex; b00..b19 are the five-year bands 0-4 .. 95+
-- (NULL when the file gives totals only).
CREATE TABLE list_size (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    practice_code TEXT NOT NULL,
    as_at TEXT NOT NULL,
    sex TEXT NOT NULL,
    total BIGINT NOT NULL,
    b00 BIGINT, b01 BIGINT, b02 BIGINT, b03 BIGINT, b04 BIGINT,
    b05 BIGINT, b06 BIGINT, b07 BIGINT, b08 BIGINT, b09 BIGINT,
    b10 BIGINT, b11 BIGINT, b12 BIGINT, b13 BIGINT, b14 BIGINT,
    b15 BIGINT, b16 BIGINT, b17 BIGINT, b18 BIGINT, b19 BIGINT,
    PRIMARY KEY (import_id, practice_code, as_at, sex)
);
CREATE INDEX list_size_by_sex ON list_size (sex, as_at);

-- Governance facts the official files lack, each effective from a date,
-- with who recorded it and when. A later row supersedes, never overwrites.
CREATE TABLE governance_fact (
    id BIGINT PRIMARY KEY,
    import_id BIGINT REFERENCES import_log (id),
    pcn_code TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX governance_fact_by_pcn ON governance_fact (pcn_code, field, effective_from);

-- Every change made through the CLI or the web app: who, when, what, before and after.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT,
    detail TEXT
);
