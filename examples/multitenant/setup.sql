-- The tenant registry, read by the tenants query in strata.hcl. Safe to run
-- again. The tenant schemas themselves are created by strata migrate.
SET client_min_messages = warning; -- no "already exists, skipping" notices

CREATE SCHEMA IF NOT EXISTS control;

CREATE TABLE IF NOT EXISTS control.tenants (
    schema_name text PRIMARY KEY,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz DEFAULT now()
);

COMMENT ON TABLE control.tenants IS 'One row per tenant; schema_name is the tenant''s schema. Inactive tenants are skipped by strata migrate.';
