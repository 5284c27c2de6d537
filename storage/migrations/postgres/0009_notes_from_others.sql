-- Notes from others on the path (see the SQLite migration of the same number for the why).
CREATE TABLE offered_notes (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id     bigint      NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    text        text        NOT NULL,
    status      text        NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    offered_at  timestamptz NOT NULL,
    reviewed_at timestamptz,
    from_entry  bigint      UNIQUE
);
CREATE INDEX offered_notes_by_status ON offered_notes (status, offered_at);
CREATE INDEX offered_notes_by_author ON offered_notes (chat_id, offered_at);

CREATE TABLE offered_notes_given (
    chat_id  bigint      NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    note_id  bigint      NOT NULL REFERENCES offered_notes (id) ON DELETE CASCADE,
    given_at timestamptz NOT NULL,
    PRIMARY KEY (chat_id, note_id)
);
CREATE INDEX offered_notes_given_by_note ON offered_notes_given (note_id);

ALTER TABLE people ADD COLUMN others_notes_enabled boolean NOT NULL DEFAULT false;
