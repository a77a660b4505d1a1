-- The tenants of the EU instance (strata_fleet_eu).
CREATE SCHEMA IF NOT EXISTS tenant_acme;
CREATE SCHEMA IF NOT EXISTS tenant_globex;
CREATE SCHEMA IF NOT EXISTS tenant_soylent;
