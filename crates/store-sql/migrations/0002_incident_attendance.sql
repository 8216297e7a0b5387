-- When a deployed grade's attendance target runs out (NULL when nobody is due).
ALTER TABLE incidents ADD COLUMN attend_by_micros {{BIGINT}};
