locations = ["migrations/common", "migrations/comon"]

env "dev" {
  url       = "sqlite://dev.db"
  locations = ["migrations/dev", "migrations/dev/README"]
  overrides = ["migrations/prod-overrides", "migrations/common"]
}
