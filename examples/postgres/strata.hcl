# Strata on PostgreSQL: shared migrations plus per-environment ones, one
# managed schema, and a production override. Run from the repository root:
#   createdb strata_example
#   go run ./cmd/strata --config examples/postgres/strata.hcl --env local migrate
# See README.md.

# Shared by every env; an env's own locations are merged after these.
locations = ["migrations/common"]

# Strata creates the schema, keeps its history table there and puts it first
# on the search_path of every migration; ${strata:schema} is its quoted name.
schemas = ["app"]

placeholders {
  values = {
    app_name         = "shop"
    default_currency = "EUR"
  }
}

env "local" {
  url       = env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/strata_example?sslmode=disable")
  locations = ["migrations/local"] # demo data
}

env "prod" {
  url       = env("DATABASE_URL") # no default: a missing variable is an error
  locations = ["migrations/prod"]
  # A file here replaces the file with the same version from the locations.
  overrides = ["migrations/prod-overrides"]

  lock {
    timeout = "60s" # how long a second deployer waits for the first one
  }
  lock_timeout      = "5s"  # PostgreSQL lock_timeout of migration statements
  statement_timeout = "15m" # PostgreSQL statement_timeout (a Go duration)
}
