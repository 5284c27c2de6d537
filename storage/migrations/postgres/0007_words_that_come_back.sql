-- Notes a person wrote to themselves (see the SQLite migration of the same number for the why).
CREATE TABLE notes (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id       bigint      NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    text          text        NOT NULL,
    created_at    timestamptz NOT NULL,
    from_entry    bigint      UNIQUE,
    may_give_back boolean     NOT NULL DEFAULT true,
    given_back_at timestamptz
);
CREATE INDEX notes_by_person ON notes (chat_id, created_at);

-- A bridge to therapy (see the SQLite migration of the same number).
ALTER TABLE entries ADD COLUMN for_therapy boolean NOT NULL DEFAULT false;
ALTER TABLE people ADD COLUMN therapist text
    CHECK (therapist IN ('yes', 'not_now', 'would_like'));
ALTER TABLE people ADD COLUMN therapy_said_at timestamptz;

-- Shared humanity without exposure (see the SQLite migration of the same number).
ALTER TABLE people ADD COLUMN counts_enabled boolean NOT NULL DEFAULT true;
CREATE INDEX entries_by_time ON entries (created_at);
