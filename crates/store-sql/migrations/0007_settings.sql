-- Settings of this database itself, written once. 'demo' marks a database created by
-- 'serve --demo': only such a database may be served with the demo's published passwords.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    set_at_micros {{BIGINT}} NOT NULL
);
