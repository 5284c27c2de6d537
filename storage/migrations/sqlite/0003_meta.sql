-- Facts about the database itself, one value per key. The first is ``key_check``: a known
-- constant sealed with the encryption key, so a start with another key is refused before
-- anything is written (storage/crypto.py).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
