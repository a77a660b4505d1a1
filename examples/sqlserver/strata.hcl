# Strata on SQL Server. Start a server and create the database strata_example
# (see README.md here), then:
#   STRATA_SQLSERVER_URL='sqlserver://sa:Strata_pass123@localhost:1433?database=strata_example' \
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
