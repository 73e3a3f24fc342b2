-- Reverses up.sql.
ALTER TABLE leads DROP COLUMN language;
