-- Who a document belongs to, when it belongs to one member (a monthly report): a member's phone
-- receives its own reports, not the other members'.
ALTER TABLE changes ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE changes SET owner = split_part(doc_id, ':', 2) WHERE doc_id LIKE 'r:%';
UPDATE documents SET owner = split_part(doc_id, ':', 2) WHERE doc_id LIKE 'r:%';
