-- Accounts of ${app_name}.
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    plan       TEXT NOT NULL DEFAULT '${default_plan}',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
