-- Administration from the dashboard: the app version each phone last synced with (for the
-- device list), and the one-time codes with which a person sets a new password.

ALTER TABLE devices ADD COLUMN app_version TEXT;

-- Only the code's SHA-256 hash is kept, like every other code the server hands out. A code
-- works once (used_at), before expires_at, for its account only.
CREATE TABLE password_resets (
    code_hash BYTEA NOT NULL PRIMARY KEY,
    user_login TEXT NOT NULL REFERENCES users (login),
    issued_by TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_login);
