-- Addresses by position: the addresses inside a handset location's circle (AML) are found by
-- a box on latitude and longitude, which without this index reads every address in the force.
CREATE INDEX gazetteer_addresses_by_position ON gazetteer_addresses (lat, lon);
