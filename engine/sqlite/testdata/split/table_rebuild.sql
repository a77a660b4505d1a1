-- SQLite's recipe for a schema change ALTER TABLE cannot do
-- (https://www.sqlite.org/lang_altertable.html#otheralter).
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;
CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
INSERT INTO new_users (id, email) SELECT id, lower(email) FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
PRAGMA foreign_key_check;
END TRANSACTION;

PRAGMA main.foreign_keys = ON;
PRAGMA foreign_keys;
VACUUM;
