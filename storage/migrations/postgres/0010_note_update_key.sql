-- The update a note was written in (bot/update_keys.py), so a message handled a second time
-- after a restart finds its note instead of keeping it twice. NULL for notes kept from a
-- setback's friend answer (from_entry already keeps those once) and for notes written before.
ALTER TABLE notes ADD COLUMN update_key TEXT;
CREATE UNIQUE INDEX notes_by_update ON notes (update_key);
