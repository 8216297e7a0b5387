-- Audit records can be sealed with the force's audit key (kept outside the database), so a
-- record written outside the server is caught. Sessions now name the audit record that
-- opened them; sessions from before have none, so everyone signs in again once.
ALTER TABLE audit_log ADD COLUMN seal TEXT;
DELETE FROM sessions;
