-- Notes a person wrote to themselves (/note, or the friend answer kept at the end of /setback),
-- given back on a harder day (bot/kept_notes.py). text is sealed like an entry's. from_entry is
-- the setback whose friend answer became the note, so one tap twice keeps it once; it is not a
-- foreign key: deleting that setback leaves the note the person chose to keep. may_give_back is
-- 0 for words written while the crisis check was answering them: kept, never offered back.
-- given_back_at: when the note was last shown again (at most one a day, never twice in a row).
CREATE TABLE notes (
    id            INTEGER PRIMARY KEY,
    chat_id       INTEGER NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    text          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    from_entry    INTEGER UNIQUE,
    may_give_back INTEGER NOT NULL DEFAULT 1,
    given_back_at INTEGER
);
CREATE INDEX notes_by_person ON notes (chat_id, created_at);

-- A bridge to therapy. for_therapy: the person marked the entry "to talk about in therapy"
-- (/share then opens with it). therapist: whether they see one, asked optionally in /settings:
-- 'yes', 'not_now' or 'would_like' (NULL: not said). therapy_said_at: when a recap last
-- mentioned it, so it is said at most once a week.
ALTER TABLE entries ADD COLUMN for_therapy INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN therapist TEXT
    CHECK (therapist IN ('yes', 'not_now', 'would_like'));
ALTER TABLE people ADD COLUMN therapy_said_at INTEGER;

-- Shared humanity without exposure: how many people here practised the same thing this week
-- (bot/shared_counts.py), shown only from 20 people up, and only to people who leave this on
-- (/settings). The index keeps "entries of the last seven days" from reading every entry.
ALTER TABLE people ADD COLUMN counts_enabled INTEGER NOT NULL DEFAULT 1;
CREATE INDEX entries_by_time ON entries (created_at);
