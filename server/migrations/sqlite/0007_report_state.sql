-- Where each projected report stands (`missing`, `drafted`, `handed_in`), as core reads it
-- (`ReportState`), so that the staff views count drafts and hand-ins by core's answer rather
-- than by a rule of their own. Reports stored before are projected again when the server
-- starts (see projection.rs), which fills it in.

ALTER TABLE report_view ADD COLUMN state TEXT NOT NULL DEFAULT '';
