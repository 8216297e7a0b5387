-- Many servers, one force (issue 13): a call sign names one unit, whichever server registers
-- it. The claim is written in the transaction that registers the unit, so two servers
-- registering the same call sign at once cannot both succeed. Filled from the units already
-- registered (the first registration of a call sign keeps it).
CREATE TABLE call_signs (
    call_sign TEXT PRIMARY KEY,
    stream TEXT NOT NULL
);
--@sqlite INSERT OR IGNORE INTO call_signs (call_sign, stream)
--@sqlite     SELECT json_extract(payload, '$.call_sign'), stream FROM audit_log
--@sqlite     WHERE kind = 'unit_registered' AND category = 'change' ORDER BY seq;
--@postgres INSERT INTO call_signs (call_sign, stream)
--@postgres     SELECT payload::json->>'call_sign', stream FROM audit_log
--@postgres     WHERE kind = 'unit_registered' AND category = 'change' ORDER BY seq
--@postgres     ON CONFLICT DO NOTHING;
