-- The gazetteer: reference data loaded in bulk (`controlroom gazetteer import`), not events.
-- One import run is one audit record; the rows here are upserted by their key, so a
-- re-import updates and never duplicates. `revision` is the gazetteer write that last changed
-- a row: the address search index catches up from the last revision it holds.
-- Positions are WGS84 degrees inside the United Kingdom (checked before they are written).
CREATE TABLE gazetteer_addresses (
    uprn {{BIGINT}} PRIMARY KEY,
    -- '' when only the position is known (OS Open UPRN)
    single_line TEXT NOT NULL,
    organisation TEXT,
    building TEXT,
    number TEXT,
    street TEXT,
    locality TEXT,
    town TEXT,
    postcode TEXT,
    -- residential | commercial | other
    classification TEXT NOT NULL,
--@sqlite     usrn INTEGER,
--@sqlite     lat REAL NOT NULL,
--@sqlite     lon REAL NOT NULL,
--@sqlite     revision INTEGER NOT NULL
--@postgres     usrn BIGINT,
--@postgres     lat DOUBLE PRECISION NOT NULL,
--@postgres     lon DOUBLE PRECISION NOT NULL,
--@postgres     revision BIGINT NOT NULL
);
CREATE INDEX gazetteer_addresses_by_revision ON gazetteer_addresses (revision);
CREATE INDEX gazetteer_addresses_by_usrn ON gazetteer_addresses (usrn);

CREATE TABLE gazetteer_streets (
    -- usrn:N (derived from the addresses) or the OS Open Names road id
    id TEXT PRIMARY KEY,
    usrn {{BIGINT}},
    name TEXT NOT NULL,
    locality TEXT,
    town TEXT,
--@sqlite     lat REAL NOT NULL,
--@sqlite     lon REAL NOT NULL,
--@sqlite     min_lat REAL,
--@sqlite     min_lon REAL,
--@sqlite     max_lat REAL,
--@sqlite     max_lon REAL,
--@sqlite     revision INTEGER NOT NULL
--@postgres     lat DOUBLE PRECISION NOT NULL,
--@postgres     lon DOUBLE PRECISION NOT NULL,
--@postgres     min_lat DOUBLE PRECISION,
--@postgres     min_lon DOUBLE PRECISION,
--@postgres     max_lat DOUBLE PRECISION,
--@postgres     max_lon DOUBLE PRECISION,
--@postgres     revision BIGINT NOT NULL
);
CREATE INDEX gazetteer_streets_by_revision ON gazetteer_streets (revision);

CREATE TABLE gazetteer_places (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- one alias per line
    aliases TEXT NOT NULL,
    kind TEXT NOT NULL,
    locality TEXT,
    postcode_district TEXT,
--@sqlite     lat REAL NOT NULL,
--@sqlite     lon REAL NOT NULL,
--@sqlite     revision INTEGER NOT NULL
--@postgres     lat DOUBLE PRECISION NOT NULL,
--@postgres     lon DOUBLE PRECISION NOT NULL,
--@postgres     revision BIGINT NOT NULL
);
CREATE INDEX gazetteer_places_by_revision ON gazetteer_places (revision);

CREATE TABLE gazetteer_postcodes (
    -- standard form, LS8 3AA
    postcode TEXT PRIMARY KEY,
--@sqlite     lat REAL NOT NULL,
--@sqlite     lon REAL NOT NULL,
--@sqlite     revision INTEGER NOT NULL
--@postgres     lat DOUBLE PRECISION NOT NULL,
--@postgres     lon DOUBLE PRECISION NOT NULL,
--@postgres     revision BIGINT NOT NULL
);
CREATE INDEX gazetteer_postcodes_by_revision ON gazetteer_postcodes (revision);
