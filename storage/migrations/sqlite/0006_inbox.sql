-- The durable inbox: every update from Telegram is stored here before Telegram is told it
-- arrived, and marked done in the same transaction as the conversation state its handling left
-- (bot/inbox.py). payload is the update as Telegram sent it (sealed like every text a person
-- wrote); it and chat_id are cleared once the update is done, so a done row names nobody. A
-- done row stays a week so that Telegram delivering it again is recognised, then it is pruned. bot_id keeps two bots' update ids apart
-- (a new token counts from its own start).
CREATE TABLE inbox (
    bot_id      INTEGER NOT NULL,
    update_id   INTEGER NOT NULL,
    chat_id     INTEGER,
    payload     TEXT,
    received_at INTEGER NOT NULL,
    done_at     INTEGER,
    PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX inbox_pending ON inbox (bot_id, update_id) WHERE done_at IS NULL;
CREATE INDEX inbox_done ON inbox (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX inbox_by_person ON inbox (chat_id);

-- The update that made an entry ("<bot id>:<update id>"), so that the same update handled again
-- after a crash finds its entry instead of storing a second one. Cleared after a week with the
-- inbox's done rows: Telegram may start update ids afresh after a quiet week.
ALTER TABLE entries ADD COLUMN update_key TEXT;
CREATE UNIQUE INDEX entries_by_update ON entries (update_key);
CREATE INDEX entries_keyed ON entries (created_at) WHERE update_key IS NOT NULL;
