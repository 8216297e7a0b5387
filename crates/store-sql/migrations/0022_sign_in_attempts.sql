-- Sign-in throttling where every server sees it (domain::sign_in). Not part of the audit
-- chain: operational state, forgotten after a window; what matters is audited separately.
-- Each attempt is counted here before its password is checked and deleted if it was right.
CREATE TABLE sign_in_attempts (
--@sqlite     id INTEGER PRIMARY KEY,
--@postgres     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL,
    -- The client address (the TCP peer, or X-Forwarded-For from a trusted proxy).
    address TEXT NOT NULL,
    at_micros {{BIGINT}} NOT NULL,
    -- 1 until a successful sign-in for the name clears it; it still counts for its address.
    counts_for_name INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sign_in_attempts_by_username ON sign_in_attempts (username, at_micros);
CREATE INDEX sign_in_attempts_by_address ON sign_in_attempts (address, at_micros);
CREATE INDEX sign_in_attempts_by_time ON sign_in_attempts (at_micros);

-- Addresses that proved they know a name's password by signing in (for 14 days): a name
-- locked by guesses from elsewhere still signs in from them.
CREATE TABLE sign_in_addresses (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    last_success_micros {{BIGINT}} NOT NULL,
    PRIMARY KEY (username, address)
);
CREATE INDEX sign_in_addresses_by_time ON sign_in_addresses (last_success_micros);
