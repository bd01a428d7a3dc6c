-- Staff views: the months each household was visited in and every follow-up flag, so that the
-- overview counts coverage, gaps and open flags from indexes rather than from notes. Existing
-- households are projected into them when the server starts (see projection.rs).

CREATE TABLE visit_view (
    household_id TEXT NOT NULL,
    month TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    PRIMARY KEY (household_id, month)
);
CREATE INDEX visit_view_cell_month ON visit_view (cell_id, month);

CREATE TABLE flag_view (
    household_id TEXT NOT NULL,
    flag_id TEXT NOT NULL,
    cell_id TEXT NOT NULL,
    raised_by TEXT NOT NULL,
    raised_on TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    status_on TEXT NOT NULL,
    PRIMARY KEY (household_id, flag_id)
);
CREATE INDEX flag_view_cell_status ON flag_view (cell_id, status);

CREATE INDEX assignment_view_member ON assignment_view (member_id);
