# test: env=other
# An empty suffix list and retry settings that are not whole numbers.
env "dev" {
  url = "sqlite://dev.db"
}

env "other" {
  url                       = "sqlite://other.db"
  sql_migration_suffixes    = []
  baseline_migration_prefix = "U"
  connect_retries           = 1.5
  connect_retries_interval  = 0
}
