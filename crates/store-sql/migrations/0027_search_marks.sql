-- Reads never write (issue 21): a search waits only for what the searcher is guaranteed to
-- see, their own changes to anything the search index holds. Each user's last such change
-- (its audit seq) is kept here, written in the batch that commits it, so any server can
-- tell how far its index must have got before that user searches.
CREATE TABLE search_marks (
    username TEXT PRIMARY KEY,
    seq {{BIGINT}} NOT NULL
);
