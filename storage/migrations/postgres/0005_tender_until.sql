-- After a crisis message or an "are you safe?" check, a person is tender until the start of
-- their next local day (handlers/tender.py). NULL when not tender.
ALTER TABLE people ADD COLUMN tender_until timestamptz;
