-- The map draws the gazetteer's streets when no tiles are configured: streets are found by
-- the box on screen (`gazetteer_streets_within`), so their extents are indexed.
CREATE INDEX gazetteer_streets_by_extent ON gazetteer_streets (max_lat, min_lat, max_lon, min_lon);
