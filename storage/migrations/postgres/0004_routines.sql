-- The optional routines check (sleep, meals, movement), at most one row per person and local date.
-- A part is NULL until answered; 'skipped' records that the person chose not to say.
CREATE TABLE routines (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id    bigint      NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    local_date date        NOT NULL,
    sleep      text        CHECK (sleep IN ('okay', 'not_great', 'skipped')),
    meals      text        CHECK (meals IN ('okay', 'not_great', 'skipped')),
    movement   text        CHECK (movement IN ('okay', 'not_great', 'skipped')),
    created_at timestamptz NOT NULL,
    UNIQUE (chat_id, local_date)
);
