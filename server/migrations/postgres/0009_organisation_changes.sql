-- The organisation's life: a household closed by its cell (kept, with its notes, but looked
-- after no more) and a household moved to another cell.

-- When the household was closed, as core reads its document (NULL: open). Counts of the
-- households a cell looks after leave closed ones out.
ALTER TABLE households ADD COLUMN closed_on TEXT;

-- Why and when, for the staff views.
ALTER TABLE household_view ADD COLUMN closed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE household_view ADD COLUMN closed_on TEXT NOT NULL DEFAULT '';

-- Every move of a household from one cell to another: a phone of the old cell keeps what it
-- wrote before the move (server time), and the household page shows where it came from.
CREATE TABLE household_moves (
    household_id TEXT NOT NULL,
    from_cell TEXT NOT NULL,
    to_cell TEXT NOT NULL,
    moved_at BIGINT NOT NULL,
    moved_by TEXT NOT NULL
);
CREATE INDEX household_moves_household ON household_moves (household_id);

-- Every transfer of a member from one cell to another.
CREATE TABLE member_transfers (
    member_id TEXT NOT NULL,
    from_cell TEXT NOT NULL,
    to_cell TEXT NOT NULL,
    moved_at BIGINT NOT NULL,
    moved_by TEXT NOT NULL
);
CREATE INDEX member_transfers_member ON member_transfers (member_id);
