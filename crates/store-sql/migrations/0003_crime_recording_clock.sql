-- NCRS crime-recording decision clock, kept on the incident list so the recorder's queue and
-- the on-time share are one indexed query, not a replay of every stream.
-- Rows written before this migration stay NULL until `controlroom reindex` rewrites them.
ALTER TABLE incidents ADD COLUMN crime_report_at_micros {{BIGINT}};
ALTER TABLE incidents ADD COLUMN recording_decided_at_micros {{BIGINT}};
ALTER TABLE incidents ADD COLUMN recording_decision TEXT;
CREATE INDEX incidents_awaiting_recording ON incidents (crime_report_at_micros)
    WHERE crime_report_at_micros IS NOT NULL AND recording_decided_at_micros IS NULL;
