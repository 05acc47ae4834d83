-- Ids from the database (SQLite). Until now the application gave each new
-- row MAX(id) + 1, which collides when two writers insert at once. From here
-- every id is the database's: INTEGER PRIMARY KEY AUTOINCREMENT on SQLite (an
-- alias of the rowid, never reused), an identity column on PostgreSQL.
--
-- The engines diverge here, and only here: SQLite cannot change a primary
-- key, so each table is rebuilt (copied aside, dropped, created anew and
-- copied back, keeping every row and id); PostgreSQL adds an identity to the
-- existing column (migrations-postgres/0008). pcn runs the shared migrations
-- (migrations/) and its engine's folder together, in version order.
--
-- Foreign keys are on: dropping a parent table (import_log, arrs_post,
-- web_user) counts its children's references as deferred violations, and
-- copying its rows back resolves them before the migration commits.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE import_log_before_0008 AS SELECT * FROM import_log;
DROP TABLE import_log;
CREATE TABLE import_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    data_date TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    facts BIGINT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
INSERT INTO import_log SELECT * FROM import_log_before_0008;
DROP TABLE import_log_before_0008;

CREATE TABLE governance_fact_before_0008 AS SELECT * FROM governance_fact;
DROP TABLE governance_fact;
CREATE TABLE governance_fact (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id BIGINT REFERENCES import_log (id),
    pcn_code TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
INSERT INTO governance_fact SELECT * FROM governance_fact_before_0008;
DROP TABLE governance_fact_before_0008;
CREATE INDEX governance_fact_by_pcn ON governance_fact (pcn_code, field, effective_from);

CREATE TABLE audit_log_before_0008 AS SELECT * FROM audit_log;
DROP TABLE audit_log;
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT,
    detail TEXT
);
INSERT INTO audit_log SELECT * FROM audit_log_before_0008;
DROP TABLE audit_log_before_0008;

CREATE TABLE distribution_agreement_before_0008 AS SELECT * FROM distribution_agreement;
DROP TABLE distribution_agreement;
CREATE TABLE distribution_agreement (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO distribution_agreement SELECT * FROM distribution_agreement_before_0008;
DROP TABLE distribution_agreement_before_0008;
CREATE INDEX distribution_agreement_by_year ON distribution_agreement (financial_year, pcn_code);

CREATE TABLE assessment_before_0008 AS SELECT * FROM assessment;
DROP TABLE assessment;
CREATE TABLE assessment (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pcn_code TEXT NOT NULL,
    financial_year TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    -- Exact decimal text, 0 to 1.
    earned TEXT NOT NULL,
    note TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
INSERT INTO assessment SELECT * FROM assessment_before_0008;
DROP TABLE assessment_before_0008;
CREATE INDEX assessment_by_year ON assessment (financial_year, pcn_code, stream_id);

CREATE TABLE arrs_post_before_0008 AS SELECT * FROM arrs_post;
DROP TABLE arrs_post;
CREATE TABLE arrs_post (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pcn_code TEXT NOT NULL,
    -- The network's own reference for the person (the census identifier
    -- for seeded posts); a name is optional.
    person TEXT NOT NULL,
    name TEXT,
    -- A rulebook role id (ARRS), or the census role as published (other).
    role TEXT NOT NULL,
    -- network | practice:CODE | provider:NAME
    employer TEXT NOT NULL,
    -- arrs | other
    funding TEXT NOT NULL,
    -- england | outer-london | inner-london
    region TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    -- entered | census:YYYY-MM-DD
    origin TEXT NOT NULL,
    import_id BIGINT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
INSERT INTO arrs_post SELECT * FROM arrs_post_before_0008;
DROP TABLE arrs_post_before_0008;
CREATE INDEX arrs_post_by_pcn ON arrs_post (pcn_code);
CREATE INDEX arrs_post_by_origin ON arrs_post (origin);

CREATE TABLE arrs_terms_before_0008 AS SELECT * FROM arrs_terms;
DROP TABLE arrs_terms;
CREATE TABLE arrs_terms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES arrs_post (id),
    effective_from TEXT NOT NULL,
    band TEXT NOT NULL,
    -- Exact decimal text, above 0 and at most 1.
    wte TEXT NOT NULL,
    -- Full-time annual salary in pence; NULL when not recorded.
    salary_pence BIGINT,
    -- Employer on-costs a year for the post in pence, as entered; NULL: computed.
    on_costs_pence BIGINT,
    levy BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
INSERT INTO arrs_terms SELECT * FROM arrs_terms_before_0008;
DROP TABLE arrs_terms_before_0008;
CREATE INDEX arrs_terms_by_post ON arrs_terms (post_id);

CREATE TABLE arrs_cost_before_0008 AS SELECT * FROM arrs_cost;
DROP TABLE arrs_cost;
CREATE TABLE arrs_cost (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES arrs_post (id),
    month TEXT NOT NULL,
    cost_pence BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
INSERT INTO arrs_cost SELECT * FROM arrs_cost_before_0008;
DROP TABLE arrs_cost_before_0008;
CREATE INDEX arrs_cost_by_post ON arrs_cost (post_id, month);

CREATE TABLE arrs_claim_before_0008 AS SELECT * FROM arrs_claim;
DROP TABLE arrs_claim;
CREATE TABLE arrs_claim (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES arrs_post (id),
    pcn_code TEXT NOT NULL,
    month TEXT NOT NULL,
    -- regular | backdated | arrears
    kind TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    -- draft | submitted | approved | paid
    status TEXT NOT NULL,
    made TEXT NOT NULL,
    working TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    status_at TEXT NOT NULL,
    status_by TEXT NOT NULL
);
INSERT INTO arrs_claim SELECT * FROM arrs_claim_before_0008;
DROP TABLE arrs_claim_before_0008;
CREATE INDEX arrs_claim_by_pcn ON arrs_claim (pcn_code, month);

CREATE TABLE web_user_before_0008 AS SELECT * FROM web_user;
DROP TABLE web_user;
CREATE TABLE web_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT,
    password_hash TEXT NOT NULL,
    -- admin | commissioner | network | practice | viewer
    role TEXT NOT NULL,
    -- all | commissioner:CODE | network:CODE | practice:CODE
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at TEXT
);
INSERT INTO web_user SELECT * FROM web_user_before_0008;
DROP TABLE web_user_before_0008;

CREATE TABLE login_attempt_before_0008 AS SELECT * FROM login_attempt;
DROP TABLE login_attempt;
CREATE TABLE login_attempt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    at TEXT NOT NULL,
    succeeded BIGINT NOT NULL
);
INSERT INTO login_attempt SELECT * FROM login_attempt_before_0008;
DROP TABLE login_attempt_before_0008;
CREATE INDEX login_attempt_by_username ON login_attempt (username, at);
