-- Several instances on one database (postgres; keep in step with ../../sqlite/2026-12-04-000009_instances).
-- See docs/operations.md, "Several instances".

-- The lead rate limit when SERVER__RATE_LIMIT_STORE=database: one row per client key and
-- one-minute window, counted by one upsert per check (repo/rate_limits.rs). The key is a keyed
-- hash of the client address, never the address itself. Old windows are deleted by
-- window_start (indexed), at most once a minute per instance, never per request.
CREATE TABLE rate_limit_counters (
    key          TEXT NOT NULL,
    -- the window's first second, in seconds since 1970-01-01 UTC
    window_start BIGINT NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_counters_window_start_idx ON rate_limit_counters (window_start);

-- Work that one instance does for all (e.g. 'pesapal.register_ipn'): the instance that inserts
-- or takes over the row (when the holder's lease has run out) does it; the others wait for its
-- result (repo/instance_leases.rs).
CREATE TABLE instance_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);
