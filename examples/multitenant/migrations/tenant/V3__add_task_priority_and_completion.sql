-- Schema change on existing tables. A column with a constant default is
-- added without rewriting the table (PostgreSQL 11+), so this is quick even
-- for tenants with many tasks.
ALTER TABLE tasks
    ADD COLUMN priority smallint NOT NULL DEFAULT 3
        CONSTRAINT tasks_priority_check CHECK (priority BETWEEN 1 AND 4),
    ADD COLUMN completed_at timestamptz;

ALTER TABLE projects
    ADD COLUMN archived_at timestamptz;

CREATE INDEX tasks_open_due_idx ON tasks (due_date) WHERE status <> 'done';
