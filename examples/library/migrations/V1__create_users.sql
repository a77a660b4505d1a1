-- Users of ${app_name}. New users get the role ${default_role}, a placeholder
-- whose value the program passes with engine.WithPlaceholders.
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL DEFAULT '${default_role}',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
