-- One row per event stream, with its kind in its own column: loading every unit (at start-up)
-- or every record of one kind (reindex) reads that kind's rows through an index, never the
-- rest of the log. Written in the same transaction as a stream's first change; the audit log
-- itself is untouched (it is append-only).
CREATE TABLE streams (
    stream TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    first_seq BIGINT NOT NULL
);
CREATE INDEX streams_by_kind ON streams (kind, stream);

INSERT INTO streams (stream, kind, first_seq)
--@sqlite SELECT stream,
--@sqlite        CASE WHEN instr(stream, '/') > 0 THEN substr(stream, 1, instr(stream, '/') - 1) ELSE stream END,
--@sqlite        MIN(seq)
--@postgres SELECT stream, split_part(stream, '/', 1), MIN(seq)
FROM audit_log
WHERE category = 'change'
GROUP BY stream;
