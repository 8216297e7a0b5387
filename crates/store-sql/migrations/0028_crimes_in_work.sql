-- Investigation work lists (issue 15): whether a crime still has work on it (not finalised,
-- or a victim's update still owed), so the investigator's queue, the supervisor's overdue
-- list and the CSI queue read every such crime however many others the force has recorded.
-- Crimes recorded before this column count as in work until `controlroom reindex` rewrites
-- their rows from their events: the lists fold each one and drop the finished, so the guess
-- only costs a read.
ALTER TABLE crimes ADD COLUMN in_work {{BIGINT}} NOT NULL DEFAULT 1;
UPDATE crimes SET in_work = 0 WHERE status <> 'recorded';
CREATE INDEX crimes_in_work ON crimes (in_work, recorded_at_micros);
