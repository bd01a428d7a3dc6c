-- Which phone each Automerge actor writes for, so that what a change says about who did it (a
-- note's author, a rating's rater) is held to the holder of the phone that made it, whichever
-- phone delivers it. Bound at enrolment, or when the server first meets the actor.
CREATE TABLE device_actors (
    actor BYTEA PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    bound_at BIGINT NOT NULL
);
CREATE INDEX device_actors_device ON device_actors (device_id);

-- The unit an audit entry is about, so that the log is read within the reader's scope like
-- everything else. Entries written before have none and are read only over the whole tree.
ALTER TABLE audit_log ADD COLUMN unit_id TEXT;
CREATE INDEX audit_log_unit ON audit_log (unit_id, seq);

-- Refused edits are counted per phone, to bound what one phone may leave for review.
CREATE INDEX refusals_device ON refusals (device_id);
