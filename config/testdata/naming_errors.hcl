# test: env=dev
# Naming settings that would make file names ambiguous, and bad retry
# settings: each is a diagnostic at its own position.
sql_migration_prefix      = "R"
undo_sql_migration_prefix = "afterMigrate"
sql_migration_separator   = ""
sql_migration_suffixes    = [".sql", "", ".SQL", "x.sql.conf", "db/x.sql"]

env "dev" {
  url                       = "sqlite://dev.db"
  baseline_migration_prefix = ""
  repeatable_sql_migration_prefix = "V/"
  connect_retries           = -1
  connect_retries_interval  = "soon"
}
