-- The durable inbox (see the SQLite migration of the same number for the why): each update
-- stored before Telegram is told it arrived, done together with its conversation state.
CREATE TABLE inbox (
    bot_id      bigint      NOT NULL,
    update_id   bigint      NOT NULL,
    chat_id     bigint,
    payload     text,
    received_at timestamptz NOT NULL,
    done_at     timestamptz,
    PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX inbox_pending ON inbox (bot_id, update_id) WHERE done_at IS NULL;
CREATE INDEX inbox_done ON inbox (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX inbox_by_person ON inbox (chat_id);

-- The update that made an entry, so a crash's replay finds it instead of storing it twice.
ALTER TABLE entries ADD COLUMN update_key text;
CREATE UNIQUE INDEX entries_by_update ON entries (update_key);
CREATE INDEX entries_keyed ON entries (created_at) WHERE update_key IS NOT NULL;
