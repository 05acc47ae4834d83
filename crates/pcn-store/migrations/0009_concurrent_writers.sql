-- What many writers at once need (portable SQL, as 0001-0007).

-- Named locks for writes that must not interleave on PostgreSQL (two imports
-- of one census, two login attempts of one user name): a transaction that
-- upserts a row here holds that row's lock until it ends. SQLite needs none
-- (a write transaction holds the whole database), but takes them the same way.
CREATE TABLE write_lock (
    name TEXT PRIMARY KEY,
    taken BIGINT NOT NULL
);

-- Events counted rather than listed (refused logins): one audit row per
-- aggregate_key (a user name and a time window), its count in occurrences.
-- Other rows leave aggregate_key NULL, which the unique index allows many of.
ALTER TABLE audit_log ADD COLUMN occurrences BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN aggregate_key TEXT;
CREATE UNIQUE INDEX audit_log_by_aggregate ON audit_log (aggregate_key);

-- Failed logins are counted per client address as well as per user name.
CREATE INDEX login_attempt_by_client ON login_attempt (client, at);
