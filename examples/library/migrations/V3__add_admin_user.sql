-- Explicit ids keep this file portable between SQLite and PostgreSQL.
INSERT INTO users (id, email, role) VALUES (1, 'admin@example.com', 'admin');
INSERT INTO notes (id, user_id, body) VALUES (1, 1, 'Welcome to ${app_name}!');
