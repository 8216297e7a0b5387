-- Where the first caller said it happened (WGS84), when they gave coordinates: the dispatch
-- board draws waiting incidents beside the units. Filled for older rows by `controlroom reindex`.
ALTER TABLE incidents ADD COLUMN lat DOUBLE PRECISION;
ALTER TABLE incidents ADD COLUMN lon DOUBLE PRECISION;
