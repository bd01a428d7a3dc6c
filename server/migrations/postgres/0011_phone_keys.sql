-- Each phone's keys: the salt of its PIN-derived key, the recovery key the server keeps for it
-- (in the clear: it is handed back on approved recovery) and the hash of the recovery secret
-- the phone asks with. NULL for phones enrolled before keys, until they ask for theirs.
ALTER TABLE devices ADD COLUMN device_secret TEXT;
ALTER TABLE devices ADD COLUMN recovery_key TEXT;
ALTER TABLE devices ADD COLUMN recovery_secret_hash BYTEA;

-- A phone asking for its recovery key (its holder forgot the PIN). Pending until a secretary
-- approves it (approved_at, approved_by); used once the key was handed out, after which the
-- next ask is a new request.
CREATE TABLE recovery_requests (
    seq BIGSERIAL PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    requested_at BIGINT NOT NULL,
    approved_at BIGINT,
    approved_by TEXT,
    used_at BIGINT
);
CREATE INDEX recovery_requests_device ON recovery_requests (device_id);
