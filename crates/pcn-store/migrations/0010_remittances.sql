-- Networks' remittances (pcn's remittance CSV, `pcn_code, month, stream,
-- amount`): what a network says it was paid, per month and rulebook stream,
-- one row per row of the file (rows of the same month and stream add up when
-- reconciled). Portable SQL as in 0001: dates are ISO text (the month's first
-- day), money BIGINT pence.
CREATE TABLE remittance (
    import_id BIGINT NOT NULL REFERENCES import_log (id),
    -- The row of the file (the header is row 1), so a problem can name it.
    file_row BIGINT NOT NULL,
    pcn_code TEXT NOT NULL,
    month TEXT NOT NULL,
    stream TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    PRIMARY KEY (import_id, file_row)
);
CREATE INDEX remittance_by_month ON remittance (month, pcn_code);
