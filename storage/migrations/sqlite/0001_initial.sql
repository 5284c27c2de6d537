-- People, their entries, the nudges sent to them, and the bot's conversation state.
-- Instants are INTEGER seconds since the epoch (UTC); local times of day are 'HH:MM' text.

CREATE TABLE people (
    chat_id          INTEGER PRIMARY KEY,
    first_seen       INTEGER NOT NULL,
    time_zone        TEXT,
    prompt_time      TEXT,
    prompt_frequency TEXT    NOT NULL DEFAULT 'daily',
    prompts_enabled  INTEGER NOT NULL DEFAULT 1,
    recap_weekday    INTEGER NOT NULL DEFAULT 6 CHECK (recap_weekday BETWEEN 0 AND 6),
    recap_time       TEXT    NOT NULL DEFAULT '18:00',
    quiet_until      INTEGER,
    country          TEXT,
    active           INTEGER NOT NULL DEFAULT 1,
    onboarded        INTEGER NOT NULL DEFAULT 0,
    next_prompt_at   INTEGER,
    next_recap_at    INTEGER,
    gentle_next      INTEGER NOT NULL DEFAULT 0,
    trusted_name     TEXT,
    trusted_contact  TEXT,
    routines_enabled INTEGER NOT NULL DEFAULT 0
);

-- The scheduler's tick asks only for people who are due: these partial indexes keep that
-- query proportional to the people due, not to everyone stored.
CREATE INDEX people_prompt_due ON people (next_prompt_at)
    WHERE active = 1 AND next_prompt_at IS NOT NULL;
CREATE INDEX people_recap_due ON people (next_recap_at)
    WHERE active = 1 AND next_recap_at IS NOT NULL;

CREATE TABLE entries (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('reflection', 'win', 'setback', 'social')),
    text       TEXT,
    tags       TEXT    NOT NULL DEFAULT '[]',
    rating     INTEGER CHECK (rating BETWEEN 1 AND 5),
    prompt_id  TEXT,
    extra      TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX entries_by_person ON entries (chat_id, created_at);

CREATE TABLE deliveries (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    local_date TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    claimed_at INTEGER NOT NULL,
    sent_at    INTEGER,
    prompt_id  TEXT,
    message_id INTEGER,
    error      TEXT,
    -- A nudge is claimed before it is sent; this makes a second claim impossible.
    UNIQUE (chat_id, kind, local_date)
);

-- python-telegram-bot's persistence: conversation states and per-chat/per-user documents.
CREATE TABLE conversations (
    name    TEXT NOT NULL,
    key     TEXT NOT NULL,
    chat_id INTEGER,
    state   TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX conversations_by_chat ON conversations (chat_id);

CREATE TABLE bot_blobs (
    kind TEXT    NOT NULL,
    key  INTEGER NOT NULL,
    data TEXT    NOT NULL,
    PRIMARY KEY (kind, key)
);
