-- The locale a person reads dates and times in (see the SQLite migration of the same number).
-- NULL: not known yet, the default locale.
ALTER TABLE people ADD COLUMN locale text;
