-- Runs once in every tenant. The search_path starts with the tenant's schema
-- (then control), so unqualified names are the tenant's own tables: the same
-- file creates tenant_0001.users, tenant_0002.users, ...
--
-- Where SQL needs the schema's name, the strata:schema placeholder (below)
-- is the tenant's schema as a quoted identifier ("tenant_0001"), safe
-- whatever the tenant is called. Placeholders are replaced in comments too,
-- so they are only named, never written, in comments.
COMMENT ON SCHEMA ${strata:schema} IS 'Project tracker data of one tenant, managed by Strata';

CREATE TABLE users (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);
