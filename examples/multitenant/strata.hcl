# Strata with tenants: one schema per tenant, the same migrations in each.
# Run from the repository root (see README.md):
#   examples/multitenant/create-tenants.sh 50
#   go run ./cmd/strata --config examples/multitenant/strata.hcl migrate

env "local" {
  url = env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/strata_tenants?sslmode=disable")

  # Managed, not migrated per tenant: holds the tenant registry
  # (control.tenants, see setup.sql) and the history table. Strata creates it
  # if missing and puts it on the search_path after the tenant.
  schemas = ["control"]

  # One history table for every tenant (it has a tenant column):
  # control.strata_schema_history.
  history {
    schema = "control"
  }

  # The targets: every active tenant of the registry. Each one gets its schema
  # (created if missing), the migrations below with search_path starting at
  # the tenant, and its own connection and lock.
  tenants {
    query    = "SELECT schema_name FROM control.tenants WHERE active ORDER BY schema_name"
    parallel = 4          # tenants migrated at once (connections: parallel + 1)
    on_error = "continue" # a failing tenant does not stop the others
  }

  # A staged rollout (see "Rolling out to many tenants" in the README): the
  # first tenant alone, then a tenth of the others, then the rest. A wave
  # with more failures than max_failures stops the rollout before the next.
  # strata migrate --dry-run prints the waves with their tenants.
  rollout {
    wave "canary" { count = 1 }
    wave "early" {
      percent      = 10
      max_failures = 1
    }
    wave "rest" { max_failures = "5%" }
  }

  locations = ["migrations/tenant"]
}
