-- The ARRS roster, payroll actuals and claims. Posts keep their history:
-- a change of band, hours or pay is a new arrs_terms row from its date (a
-- backdated one produces arrears); an end date set later is audited.

CREATE TABLE arrs_post (
    id BIGINT PRIMARY KEY,
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
CREATE INDEX arrs_post_by_pcn ON arrs_post (pcn_code);
CREATE INDEX arrs_post_by_origin ON arrs_post (origin);

CREATE TABLE arrs_terms (
    id BIGINT PRIMARY KEY,
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
CREATE INDEX arrs_terms_by_post ON arrs_terms (post_id);

-- Payroll actuals: the whole cost of a post for a month. The latest wins.
CREATE TABLE arrs_cost (
    id BIGINT PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES arrs_post (id),
    month TEXT NOT NULL,
    cost_pence BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX arrs_cost_by_post ON arrs_cost (post_id, month);

-- Claims as made. The amount never changes once made; a later correction
-- is a new claim of kind arrears.
CREATE TABLE arrs_claim (
    id BIGINT PRIMARY KEY,
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
CREATE INDEX arrs_claim_by_pcn ON arrs_claim (pcn_code, month);
