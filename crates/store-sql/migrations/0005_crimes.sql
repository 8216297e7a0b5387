-- The crime list: one row per crime record, rebuilt from its events (stream crime/{id}) and
-- written in the same transaction, so the registrar's removals awaiting approval and the
-- recent crimes are one query. Checked against the events by `controlroom audit verify`.
CREATE TABLE crimes (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    classification TEXT NOT NULL,
    -- recorded | removal_requested | removed
    status TEXT NOT NULL,
    reported_at_micros {{BIGINT}} NOT NULL,
    recorded_at_micros {{BIGINT}} NOT NULL,
    recorded_by TEXT NOT NULL,
    -- The first incident it came from; NULL for a crime reported directly.
    incident_id TEXT,
    location_text TEXT NOT NULL,
    last_changed_at_micros {{BIGINT}} NOT NULL,
    version {{BIGINT}} NOT NULL
);
CREATE INDEX crimes_by_status ON crimes (status, recorded_at_micros);
