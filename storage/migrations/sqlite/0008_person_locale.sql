-- The locale a person reads dates and times in (a babel locale such as 'en_US' or 'de'), kept
-- from the language their Telegram is set to whenever they write or tap
-- (handlers/person_locale.py), so that what the scheduler sends without a message to answer
-- (recaps, their pictures) reads as the replies do. NULL: not known yet, the default locale.
ALTER TABLE people ADD COLUMN locale TEXT;
