-- The first schema: organisation tree, documents as a change log plus snapshots, devices, and
-- the projections that staff views read.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES units (id),
    kind TEXT NOT NULL,
    level_label TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX units_parent ON units (parent_id);

CREATE TABLE members (
    id TEXT PRIMARY KEY,
    cell_id TEXT NOT NULL REFERENCES units (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL
);
CREATE INDEX members_cell ON members (cell_id);

CREATE TABLE households (
    id TEXT PRIMARY KEY,
    cell_id TEXT NOT NULL REFERENCES units (id)
);
CREATE INDEX households_cell ON households (cell_id);

CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units (id),
    heads BYTEA NOT NULL,
    snapshot BYTEA NOT NULL,
    snapshot_seq BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    changes_since_snapshot BIGINT NOT NULL
);
CREATE INDEX documents_unit ON documents (unit_id);

CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents (doc_id),
    unit_id TEXT NOT NULL,
    hash BYTEA NOT NULL,
    bytes BYTEA NOT NULL,
    device_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (doc_id, hash)
);
CREATE INDEX changes_unit_seq ON changes (unit_id, seq);
CREATE INDEX changes_doc_seq ON changes (doc_id, seq);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    cursor_seq BIGINT NOT NULL,
    last_sync_at BIGINT NOT NULL,
    syncs BIGINT NOT NULL
);

CREATE TABLE household_view (
    household_id TEXT PRIMARY KEY,
    cell_id TEXT NOT NULL,
    head TEXT NOT NULL,
    village TEXT NOT NULL,
    people BIGINT NOT NULL,
    livelihood TEXT NOT NULL,
    last_visit TEXT NOT NULL,
    notes BIGINT NOT NULL,
    open_flags BIGINT NOT NULL,
    conflicts BIGINT NOT NULL
);
CREATE INDEX household_view_cell ON household_view (cell_id);

CREATE TABLE note_view (
    household_id TEXT NOT NULL,
    note_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    day TEXT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    deleted BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (household_id, note_id)
);
CREATE INDEX note_view_cell_day ON note_view (cell_id, day);

CREATE TABLE assignment_view (
    household_id TEXT PRIMARY KEY,
    cell_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    since TEXT NOT NULL
);
CREATE INDEX assignment_view_cell ON assignment_view (cell_id);

CREATE TABLE roster_view (
    member_id TEXT PRIMARY KEY,
    cell_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    status_detail TEXT NOT NULL
);
CREATE INDEX roster_view_cell ON roster_view (cell_id);

CREATE TABLE report_view (
    member_id TEXT NOT NULL,
    month TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    self_rating TEXT NOT NULL,
    cell_rating TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    PRIMARY KEY (member_id, month)
);
CREATE INDEX report_view_cell_month ON report_view (cell_id, month);
