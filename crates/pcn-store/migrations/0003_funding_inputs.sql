-- The inputs of the funding engine, each fact with the import it came from.
-- Portable SQL as in 0001: dates are ISO text, integers BIGINT, money BIGINT
-- pence, and populations, points and IIF values TEXT holding the exact
-- decimal string (never a float).

-- Weighted populations of practices and adjusted populations of networks.
CREATE TABLE population_fact (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    subject_type TEXT NOT NULL,   -- 'practice' or 'network'
    subject_code TEXT NOT NULL,
    kind TEXT NOT NULL,           -- 'weighted' or 'adjusted'
    as_at TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (import_id, subject_type, subject_code, kind, as_at)
);

-- CQC care homes (locations with "Care home?" = Y) as at an extract.
CREATE TABLE care_home_fact (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    location_id TEXT NOT NULL,
    as_at TEXT NOT NULL,
    name TEXT NOT NULL,
    postcode TEXT,
    beds BIGINT NOT NULL,
    -- WGS84 in millionths of a degree, as practice_fact.
    lat_e6 BIGINT,
    lon_e6 BIGINT,
    local_authority TEXT,
    ods_code TEXT,
    dormant BIGINT NOT NULL,      -- 1 dormant, 0 not
    PRIMARY KEY (import_id, location_id)
);

-- Care home → network alignments (Enhanced Health in Care Homes).
CREATE TABLE care_home_alignment (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    location_id TEXT NOT NULL,
    pcn_code TEXT NOT NULL,
    aligned_from TEXT NOT NULL,
    aligned_to TEXT,
    PRIMARY KEY (import_id, location_id, aligned_from)
);

-- Published IIF measures, per practice or network.
CREATE TABLE iif_achievement (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    organisation_type TEXT NOT NULL,  -- 'practice' or 'pcn'
    organisation_code TEXT NOT NULL,
    financial_year TEXT NOT NULL,
    indicator TEXT NOT NULL,
    measure TEXT NOT NULL,
    value TEXT NOT NULL,
    achievement_date TEXT NOT NULL,
    PRIMARY KEY (import_id, organisation_type, organisation_code, indicator, measure, achievement_date)
);

-- IIF points achieved, as recorded by a commissioner.
CREATE TABLE iif_points (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    pcn_code TEXT NOT NULL,
    financial_year TEXT NOT NULL,
    points TEXT NOT NULL,
    recorded TEXT NOT NULL,
    -- The indicator ('' for the network's total) and, for a prevalence-
    -- adjusted indicator, the network's and the national prevalence.
    indicator TEXT NOT NULL,
    pcn_prevalence TEXT,
    national_prevalence TEXT,
    PRIMARY KEY (import_id, pcn_code, financial_year, indicator)
);

-- PCN payments actually made to practices (NHS Payments to General Practice).
CREATE TABLE payment_actual (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    practice_code TEXT NOT NULL,
    pcn_code TEXT,
    financial_year TEXT NOT NULL,
    stream TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    PRIMARY KEY (import_id, practice_code, financial_year, stream)
);
