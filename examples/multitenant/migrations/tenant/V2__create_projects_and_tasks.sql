-- Foreign keys and indexes resolve against the tenant's schema too: tasks
-- of tenant_0001 can only point at projects and users of tenant_0001.
CREATE TABLE projects (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    owner_id   bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_name_key UNIQUE (name)
);

CREATE INDEX projects_owner_idx ON projects (owner_id);

CREATE TABLE tasks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    assignee_id bigint REFERENCES users (id) ON DELETE SET NULL,
    title       text NOT NULL,
    status      text NOT NULL DEFAULT 'open'
                CONSTRAINT tasks_status_check CHECK (status IN ('open', 'in_progress', 'done')),
    due_date    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The board of a project: its tasks by status.
CREATE INDEX tasks_project_status_idx ON tasks (project_id, status);
-- "My tasks": most tasks have an assignee, the others are not looked up.
CREATE INDEX tasks_assignee_idx ON tasks (assignee_id) WHERE assignee_id IS NOT NULL;
