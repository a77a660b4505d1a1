# test: env=prod
# Flyway's naming and connection retry settings: top-level defaults that
# an env overrides attribute by attribute.
locations                = ["migrations/common"]
sql_migration_prefix     = "M"
sql_migration_separator  = "-"
sql_migration_suffixes   = [".pgsql.sql", ".sql"]
connect_retries          = 3
connect_retries_interval = "250ms"

env "prod" {
  url                             = "postgres://app@db/app"
  repeatable_sql_migration_prefix = "RR"
  sql_migration_suffixes          = [".sql"]
  connect_retries_interval        = 10
}
