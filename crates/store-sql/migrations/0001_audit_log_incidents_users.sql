-- The audit log: every change and every consultation of personal data, hash-chained.
--@sqlite -- seq is assigned by the writer (never AUTOINCREMENT), so the chain order is the seq order.
--@postgres -- seq is assigned by the writer (never a sequence), so the chain order is the seq order.
CREATE TABLE audit_log (
    seq {{BIGINT}} PRIMARY KEY,
    category TEXT NOT NULL,
    stream TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_micros {{BIGINT}} NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_stream ON audit_log (stream, seq);

--@sqlite -- Append-only: the application never updates or deletes a record. These triggers stop
--@sqlite -- mistakes; `controlroom audit verify` catches anyone who removes them.
--@sqlite CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
--@postgres -- Append-only: the application never updates or deletes a record. This trigger stops
--@postgres -- mistakes; `controlroom audit verify` catches anyone who disables it.
--@postgres CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
--@sqlite     SELECT RAISE(ABORT, 'the audit log is append-only');
--@postgres     RAISE EXCEPTION 'the audit log is append-only';
END;
--@sqlite CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
--@sqlite BEGIN
--@sqlite     SELECT RAISE(ABORT, 'the audit log is append-only');
--@sqlite END;
--@postgres $$;
--@postgres CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
--@postgres     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

--@sqlite -- The last link written, updated in the same transaction as every append: catches rows
--@sqlite -- removed from the end of the chain.
--@postgres -- The last link written, locked FOR UPDATE by every writer (this serialises appends) and
--@postgres -- updated with every append: catches rows removed from the end of the chain.
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq {{BIGINT}} NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE incident_counters (
    day TEXT PRIMARY KEY,
    last {{BIGINT}} NOT NULL
);

-- Projection of incident streams for listing; rebuilt from audit_log, written in the same
-- transaction as the events it reflects.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    grade TEXT,
    incident_type TEXT,
    channel TEXT NOT NULL,
    location_text TEXT NOT NULL,
    summary TEXT NOT NULL,
    contact_count {{BIGINT}} NOT NULL,
    opened_at_micros {{BIGINT}} NOT NULL,
    last_changed_at_micros {{BIGINT}} NOT NULL,
    version {{BIGINT}} NOT NULL
);
CREATE INDEX incidents_by_opened ON incidents (opened_at_micros);
CREATE INDEX incidents_by_status ON incidents (status, opened_at_micros);

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_micros {{BIGINT}} NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username),
    created_at_micros {{BIGINT}} NOT NULL,
    last_seen_at_micros {{BIGINT}} NOT NULL
);

CREATE TABLE idempotency (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at_micros {{BIGINT}} NOT NULL,
    PRIMARY KEY (actor, key)
);
