-- The tenants of the US instance (strata_fleet_us).
CREATE SCHEMA IF NOT EXISTS tenant_initech;
CREATE SCHEMA IF NOT EXISTS tenant_hooli;
