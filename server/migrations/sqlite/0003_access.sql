-- Identity and access: each unit's path in the tree (scopes are subtrees), staff accounts,
-- enrolled devices and their one-time codes, staff sessions and sign-in throttling, the audit
-- log, the assignment history that decides which offline edits survive a reassignment, and
-- edits refused at sync, kept for the cell's secretary to see.

ALTER TABLE units ADD COLUMN path TEXT NOT NULL DEFAULT '';
WITH RECURSIVE tree (id, path) AS (
    SELECT id, '/' || id || '/' FROM units WHERE parent_id IS NULL
    UNION ALL
    SELECT u.id, tree.path || u.id || '/' FROM units u JOIN tree ON u.parent_id = tree.id
)
UPDATE units SET path = (SELECT tree.path FROM tree WHERE tree.id = units.id);
CREATE INDEX units_path ON units (path);

ALTER TABLE members ADD COLUMN disabled_at INTEGER;

CREATE TABLE users (
    login TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    scope_id TEXT NOT NULL REFERENCES units (id),
    disabled_at INTEGER,
    created_at INTEGER NOT NULL
);

-- Devices were recorded on first sync, unauthenticated; from now on they exist by enrolment.
DROP TABLE devices;
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    member_id TEXT REFERENCES members (id),
    user_login TEXT REFERENCES users (login),
    label TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    enrolled_by TEXT NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT,
    cursor_seq INTEGER NOT NULL DEFAULT 0,
    last_sync_at INTEGER,
    syncs INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX devices_member ON devices (member_id);
CREATE INDEX devices_user ON devices (user_login);

CREATE TABLE enrolment_codes (
    code_hash BLOB PRIMARY KEY,
    member_id TEXT REFERENCES members (id),
    user_login TEXT REFERENCES users (login),
    issued_by TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    device_id TEXT
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_login TEXT NOT NULL REFERENCES users (login),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_login);

-- Keyed by the login as typed (lower case), known or not, so probing unknown logins is
-- throttled too.
CREATE TABLE sign_in_failures (
    login TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE assignment_history (
    household_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    from_member TEXT NOT NULL,
    to_member TEXT NOT NULL,
    changed_at INTEGER NOT NULL
);
CREATE INDEX assignment_history_from ON assignment_history (household_id, from_member);

CREATE TABLE refusals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    summary TEXT NOT NULL,
    changes BLOB NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX refusals_unit ON refusals (unit_id, id);
