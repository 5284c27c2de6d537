-- Notes from others on the path (bot/notes_from_others.py): after a win, one short sentence of
-- what helped, offered to be shown anonymously to others after their setbacks.
-- chat_id is the author, kept only so that they can see, withdraw, export and erase what they
-- offered (and never receive their own): it is never shown to an operator or a reader. text is
-- sealed like an entry's. status: 'pending' until an operator reads it (/review), then
-- 'approved' or 'rejected'; 'withdrawn' when the author takes it back (never shown again).
-- from_entry is the win it was offered after, so a win is offered once; like a note's, it is
-- not a foreign key.
CREATE TABLE offered_notes (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    text        TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    offered_at  INTEGER NOT NULL,
    reviewed_at INTEGER,
    from_entry  INTEGER UNIQUE
);
CREATE INDEX offered_notes_by_status ON offered_notes (status, offered_at);
CREATE INDEX offered_notes_by_author ON offered_notes (chat_id, offered_at);

-- Which approved sentence each reader was given, and when: never the same one twice, at most
-- one a day. Gone with the reader (their rows) or with the sentence (its author erased).
CREATE TABLE offered_notes_given (
    chat_id  INTEGER NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    note_id  INTEGER NOT NULL REFERENCES offered_notes (id) ON DELETE CASCADE,
    given_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, note_id)
);
CREATE INDEX offered_notes_given_by_note ON offered_notes_given (note_id);

-- Whether the person would like, now and then after a setback, a sentence someone else on the
-- path offered (/settings). Off until they turn it on.
ALTER TABLE people ADD COLUMN others_notes_enabled INTEGER NOT NULL DEFAULT 0;
