-- People, their entries, the nudges sent to them, and the bot's conversation state.
-- The same schema as storage/migrations/sqlite/0001_initial.sql, version for version, in
-- PostgreSQL's own types: instants are timestamptz (whole seconds, as on SQLite), local times of
-- day are time, flags are boolean. Texts a person wrote stay text: sealed, they are base64.

CREATE TABLE people (
    chat_id          bigint      PRIMARY KEY,
    first_seen       timestamptz NOT NULL,
    time_zone        text,
    prompt_time      time,
    prompt_frequency text        NOT NULL DEFAULT 'daily',
    prompts_enabled  boolean     NOT NULL DEFAULT true,
    recap_weekday    smallint    NOT NULL DEFAULT 6 CHECK (recap_weekday BETWEEN 0 AND 6),
    recap_time       time        NOT NULL DEFAULT '18:00',
    quiet_until      timestamptz,
    country          text,
    active           boolean     NOT NULL DEFAULT true,
    onboarded        boolean     NOT NULL DEFAULT false,
    next_prompt_at   timestamptz,
    next_recap_at    timestamptz,
    gentle_next      boolean     NOT NULL DEFAULT false,
    trusted_name     text,
    trusted_contact  text,
    routines_enabled boolean     NOT NULL DEFAULT false
);

-- The scheduler's tick asks only for people who are due: these partial indexes keep that
-- query proportional to the people due, not to everyone stored.
CREATE INDEX people_prompt_due ON people (next_prompt_at)
    WHERE active AND next_prompt_at IS NOT NULL;
CREATE INDEX people_recap_due ON people (next_recap_at)
    WHERE active AND next_recap_at IS NOT NULL;

CREATE TABLE entries (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id    bigint      NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('reflection', 'win', 'setback', 'social')),
    text       text,
    tags       text        NOT NULL DEFAULT '[]',
    rating     smallint    CHECK (rating BETWEEN 1 AND 5),
    prompt_id  text,
    extra      text        NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL
);
CREATE INDEX entries_by_person ON entries (chat_id, created_at);

CREATE TABLE deliveries (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id    bigint      NOT NULL REFERENCES people (chat_id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    local_date date        NOT NULL,
    status     text        NOT NULL,
    claimed_at timestamptz NOT NULL,
    sent_at    timestamptz,
    prompt_id  text,
    message_id bigint,
    error      text,
    -- A nudge is claimed before it is sent; this makes a second claim impossible.
    UNIQUE (chat_id, kind, local_date)
);

-- python-telegram-bot's persistence: conversation states and per-chat/per-user documents.
CREATE TABLE conversations (
    name    text   NOT NULL,
    key     text   NOT NULL,
    chat_id bigint,
    state   text   NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX conversations_by_chat ON conversations (chat_id);

CREATE TABLE bot_blobs (
    kind text   NOT NULL,
    key  bigint NOT NULL,
    data text   NOT NULL,
    PRIMARY KEY (kind, key)
);
