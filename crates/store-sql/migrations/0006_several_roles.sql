-- A user may hold several roles (a contact-and-crime-recorder operator takes calls and records
-- crimes); what they may do is the union. users.role keeps the first role, so a binary from
-- before this migration reads one role, never more than the user holds.
CREATE TABLE user_roles (
    username TEXT NOT NULL REFERENCES users (username),
    role TEXT NOT NULL,
    -- The order the roles were given in: the first is the one kept in users.role.
    position {{BIGINT}} NOT NULL,
    PRIMARY KEY (username, role)
);
INSERT INTO user_roles (username, role, position) SELECT username, role, 0 FROM users;

-- The role each record was made under, for a user with several. NULL on records written
-- before this migration (they hash exactly as they always did) and where no role applies.
ALTER TABLE audit_log ADD COLUMN role TEXT;
