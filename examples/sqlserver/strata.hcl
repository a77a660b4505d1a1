# Strata on SQL Server. Start a server (see README.md), then:
#   STRATA_SQLSERVER_URL='sqlserver://sa:Your_password123@localhost:1433?database=strata_example' \
#     go run ./cmd/strata --config examples/sqlserver/strata.hcl migrate

locations = ["migrations/common"]
schemas   = ["app"]                     # created if missing; SQL Server cannot make it the session's default

placeholders {
  values = { retention_days = "90" }
}

env "local" {
  url       = env("STRATA_SQLSERVER_URL")
  locations = ["migrations/local"]
  lock { timeout = "60s" }
  lock_timeout = "5s"                   # SET LOCK_TIMEOUT for migration statements
}
