-- The optional routines check (sleep, meals, movement), at most one row per person and local date.
-- A part is NULL until answered; 'skipped' records that the person chose not to say. local_date is
-- the person's own calendar date ('YYYY-MM-DD'), so the weekly recap can line it up with entries.
CREATE TABLE routines (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    sleep      TEXT    CHECK (sleep IN ('okay', 'not_great', 'skipped')),
    meals      TEXT    CHECK (meals IN ('okay', 'not_great', 'skipped')),
    movement   TEXT    CHECK (movement IN ('okay', 'not_great', 'skipped')),
    created_at INTEGER NOT NULL,
    UNIQUE (chat_id, local_date)
);
