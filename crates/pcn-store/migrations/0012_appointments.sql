-- Appointments in General Practice (GPAD), issue 15 (portable SQL, as 0001-0009).
--
-- A national practice-level month has about 1.5 million rows (one per
-- practice and combination of status, staff, mode, booking interval and
-- national category). They are kept as one row per area and month (a
-- "block", about 6,500 a national month) whose counts are packed in
-- `packed` (see `src/appointments.rs` for the encoding), so a month is
-- written in well under a second and read back whole. `total` and `rows_in`
-- are the block's sum and row count, so SQL can sum and the reader can check
-- the packed bytes against them.
--
-- Every edition is kept (facts, never state): GPAD revises the latest 18
-- months in each edition, and the reader takes, for each setting, area and
-- month, the block of the newest edition (of one edition, the later import).

-- One table of counts as a file gave it (a file gives one; `seq` numbers
-- them within the import).
CREATE TABLE appointment_table (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    seq BIGINT NOT NULL,
    -- The edition: the month the publication is named for (YYYY-MM), and how it was decided.
    edition TEXT NOT NULL,
    edition_basis TEXT NOT NULL,
    -- practice | network (the PCN-level file)
    setting TEXT NOT NULL,
    -- monthly | daily-summed-to-months
    granularity TEXT NOT NULL,
    -- National categories as published, one per line, in the order the
    -- packed rows number them.
    categories TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);

CREATE TABLE appointment_block (
    import_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    -- Copied from the table, so the newest edition is found without a join.
    edition TEXT NOT NULL,
    setting TEXT NOT NULL,
    -- practice | sub-icb
    area_kind TEXT NOT NULL,
    area_code TEXT NOT NULL,
    -- For practices: the network and commissioner the file publishes.
    pcn_code TEXT,
    sub_icb TEXT,
    month TEXT NOT NULL,
    rows_in BIGINT NOT NULL,
    total BIGINT NOT NULL,
    -- The version of the packing.
    encoding BIGINT NOT NULL,
    packed BYTEA NOT NULL,
    PRIMARY KEY (import_id, seq, area_kind, area_code, month),
    FOREIGN KEY (import_id, seq) REFERENCES appointment_table (import_id, seq)
);
CREATE INDEX appointment_block_by_area ON appointment_block (setting, area_kind, area_code, month);
CREATE INDEX appointment_block_by_sub_icb ON appointment_block (sub_icb);

-- One month of England as one edition of a national series gave it.
-- Splits are `label=count` pairs joined by `;` in the publication's order
-- (NULL where the source does not give the split).
CREATE TABLE national_appointment (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    -- The month's place in the file, so it is read back in the file's order.
    seq BIGINT NOT NULL,
    month TEXT NOT NULL,
    edition TEXT NOT NULL,
    edition_basis TEXT NOT NULL,
    -- summary-table | monthly-csv
    series TEXT NOT NULL,
    recorded BIGINT NOT NULL,
    open_practices BIGINT,
    included_practices BIGINT,
    patients_at_open_practices BIGINT,
    patients_at_included_practices BIGINT,
    estimated_england_total BIGINT,
    working_days BIGINT,
    covid_vaccinations_removed BIGINT,
    covid_vaccinations_by_practices BIGINT,
    by_status TEXT,
    by_hcp TEXT,
    by_mode TEXT,
    by_interval TEXT,
    PRIMARY KEY (import_id, seq)
);
