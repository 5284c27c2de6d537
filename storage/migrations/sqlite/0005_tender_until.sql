-- After a crisis message or an "are you safe?" check, a person is tender until the start of
-- their next local day: no celebration, no "went well", no reframe, only warm, neutral words
-- (handlers/tender.py). UTC seconds; NULL when not tender. An instant rather than a flag, so it
-- ends by itself and needs no job to clear it.
ALTER TABLE people ADD COLUMN tender_until INTEGER;
