# Strata with many database instances: the tenants of one env spread over
# two PostgreSQL databases, each with its own history table.
# Run from the repository root (see README.md):
#   createdb -h 127.0.0.1 -U postgres strata_fleet_eu
#   createdb -h 127.0.0.1 -U postgres strata_fleet_us
#   psql "postgres://postgres@127.0.0.1:5432/strata_fleet_eu" -f examples/fleet/eu.sql
#   psql "postgres://postgres@127.0.0.1:5432/strata_fleet_us" -f examples/fleet/us.sql
#   go run ./cmd/strata --config examples/fleet/strata.hcl migrate

# The two instances. Plain variables, so that output names each instance by
# host:port/database (a URL from env() is sensitive, and is named
# "instance N"); --var eu_url=... points one elsewhere.
variable "eu_url" {
  type    = string
  default = "postgres://postgres@127.0.0.1:5432/strata_fleet_eu?sslmode=disable"
}

variable "us_url" {
  type    = string
  default = "postgres://postgres@127.0.0.1:5432/strata_fleet_us?sslmode=disable"
}

env "local" {
  # Every instance gets the same migrations in each of its tenants, and its
  # own strata_schema_history (with a tenant column) across them.
  instances = [var.eu_url, var.us_url]

  # At most 8 connections across the instances at once. An instance opens
  # tenants.parallel + 1 (its lock and planning, then one per tenant), so
  # with parallel = 3 two instances run side by side.
  max_connections = 8

  # The targets on each instance: its schemas named tenant_*.
  tenants {
    pattern  = "tenant_*"
    parallel = 3
  }

  locations = ["migrations"]
}

