-- A cache of every fact the registry is built from, in one compact row, so a
-- national `pcn check` reads one value instead of ~70,000 rows. It is keyed by
-- the newest import and governance ids: any write makes the key stale, and a
-- stale or unreadable cache is simply rebuilt from the fact tables.
CREATE TABLE registry_cache (
    id BIGINT PRIMARY KEY,
    cache_key TEXT NOT NULL,
    payload BYTEA NOT NULL
);
