-- no-transaction
-- Primary keys that SQLite let hold NULL. Outside an INTEGER PRIMARY KEY, SQLite accepts NULL
-- in a PRIMARY KEY column unless it also says NOT NULL, where PostgreSQL never does; these
-- tables said only PRIMARY KEY, so the two databases accepted different rows. SQLite cannot add
-- NOT NULL to a column, so each table is made again with it, its rows copied (a row whose key
-- is NULL stops the migration rather than being dropped unseen) and its indexes recreated.
--
-- SQLite's procedure for remaking a table: foreign keys off outside the transaction (so that
-- dropping a table others refer to neither fails nor counts violations), the tables remade
-- inside one transaction, foreign keys on again. Hence no transaction from sqlx. Every step
-- copies from the table as it stands, so running this again after it committed changes nothing.

PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE meta_new (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta_new (key, value) SELECT key, value FROM meta;
DROP TABLE meta;
ALTER TABLE meta_new RENAME TO meta;

CREATE TABLE units_new (
    id TEXT NOT NULL PRIMARY KEY,
    parent_id TEXT REFERENCES units (id),
    kind TEXT NOT NULL,
    level_label TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL DEFAULT ''
);
INSERT INTO units_new (id, parent_id, kind, level_label, name, path)
    SELECT id, parent_id, kind, level_label, name, path FROM units;
DROP TABLE units;
ALTER TABLE units_new RENAME TO units;
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_path ON units (path);

CREATE TABLE members_new (
    id TEXT NOT NULL PRIMARY KEY,
    cell_id TEXT NOT NULL REFERENCES units (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    disabled_at INTEGER
);
INSERT INTO members_new (id, cell_id, name, role, disabled_at)
    SELECT id, cell_id, name, role, disabled_at FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;
CREATE INDEX members_cell ON members (cell_id);

CREATE TABLE households_new (
    id TEXT NOT NULL PRIMARY KEY,
    cell_id TEXT NOT NULL REFERENCES units (id)
);
INSERT INTO households_new (id, cell_id) SELECT id, cell_id FROM households;
DROP TABLE households;
ALTER TABLE households_new RENAME TO households;
CREATE INDEX households_cell ON households (cell_id);

CREATE TABLE documents_new (
    doc_id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units (id),
    heads BLOB NOT NULL,
    snapshot BLOB NOT NULL,
    snapshot_seq INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    changes_since_snapshot INTEGER NOT NULL,
    owner TEXT NOT NULL DEFAULT ''
);
INSERT INTO documents_new (doc_id, kind, unit_id, heads, snapshot, snapshot_seq, first_seq,
        last_seq, changes_since_snapshot, owner)
    SELECT doc_id, kind, unit_id, heads, snapshot, snapshot_seq, first_seq, last_seq,
        changes_since_snapshot, owner FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_unit ON documents (unit_id);

CREATE TABLE users_new (
    login TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    scope_id TEXT NOT NULL REFERENCES units (id),
    disabled_at INTEGER,
    created_at INTEGER NOT NULL
);
INSERT INTO users_new (login, name, password_hash, role, scope_id, disabled_at, created_at)
    SELECT login, name, password_hash, role, scope_id, disabled_at, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE devices_new (
    id TEXT NOT NULL PRIMARY KEY,
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
INSERT INTO devices_new (id, token_hash, member_id, user_login, label, enrolled_at, enrolled_by,
        revoked_at, revoked_by, cursor_seq, last_sync_at, syncs)
    SELECT id, token_hash, member_id, user_login, label, enrolled_at, enrolled_by, revoked_at,
        revoked_by, cursor_seq, last_sync_at, syncs FROM devices;
DROP TABLE devices;
ALTER TABLE devices_new RENAME TO devices;
CREATE INDEX devices_member ON devices (member_id);
CREATE INDEX devices_user ON devices (user_login);

CREATE TABLE enrolment_codes_new (
    code_hash BLOB NOT NULL PRIMARY KEY,
    member_id TEXT REFERENCES members (id),
    user_login TEXT REFERENCES users (login),
    issued_by TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    device_id TEXT
);
INSERT INTO enrolment_codes_new (code_hash, member_id, user_login, issued_by, issued_at,
        expires_at, used_at, device_id)
    SELECT code_hash, member_id, user_login, issued_by, issued_at, expires_at, used_at, device_id
    FROM enrolment_codes;
DROP TABLE enrolment_codes;
ALTER TABLE enrolment_codes_new RENAME TO enrolment_codes;

CREATE TABLE sessions_new (
    token_hash BLOB NOT NULL PRIMARY KEY,
    user_login TEXT NOT NULL REFERENCES users (login),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
INSERT INTO sessions_new (token_hash, user_login, csrf_token, created_at, expires_at)
    SELECT token_hash, user_login, csrf_token, created_at, expires_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions (user_login);

CREATE TABLE device_actors_new (
    actor BLOB NOT NULL PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    bound_at INTEGER NOT NULL
);
INSERT INTO device_actors_new (actor, device_id, bound_at)
    SELECT actor, device_id, bound_at FROM device_actors;
DROP TABLE device_actors;
ALTER TABLE device_actors_new RENAME TO device_actors;
CREATE INDEX device_actors_device ON device_actors (device_id);

CREATE TABLE household_view_new (
    household_id TEXT NOT NULL PRIMARY KEY,
    cell_id TEXT NOT NULL,
    head TEXT NOT NULL,
    village TEXT NOT NULL,
    people INTEGER NOT NULL,
    livelihood TEXT NOT NULL,
    last_visit TEXT NOT NULL,
    notes INTEGER NOT NULL,
    open_flags INTEGER NOT NULL,
    conflicts INTEGER NOT NULL
);
INSERT INTO household_view_new (household_id, cell_id, head, village, people, livelihood,
        last_visit, notes, open_flags, conflicts)
    SELECT household_id, cell_id, head, village, people, livelihood, last_visit, notes,
        open_flags, conflicts FROM household_view;
DROP TABLE household_view;
ALTER TABLE household_view_new RENAME TO household_view;
CREATE INDEX household_view_cell ON household_view (cell_id);

CREATE TABLE assignment_view_new (
    household_id TEXT NOT NULL PRIMARY KEY,
    cell_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    since TEXT NOT NULL
);
INSERT INTO assignment_view_new (household_id, cell_id, member_id, since)
    SELECT household_id, cell_id, member_id, since FROM assignment_view;
DROP TABLE assignment_view;
ALTER TABLE assignment_view_new RENAME TO assignment_view;
CREATE INDEX assignment_view_cell ON assignment_view (cell_id);
CREATE INDEX assignment_view_member ON assignment_view (member_id);

CREATE TABLE roster_view_new (
    member_id TEXT NOT NULL PRIMARY KEY,
    cell_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    status_detail TEXT NOT NULL
);
INSERT INTO roster_view_new (member_id, cell_id, name, role, status, status_detail)
    SELECT member_id, cell_id, name, role, status, status_detail FROM roster_view;
DROP TABLE roster_view;
ALTER TABLE roster_view_new RENAME TO roster_view;
CREATE INDEX roster_view_cell ON roster_view (cell_id);

COMMIT;

PRAGMA foreign_keys = ON;
