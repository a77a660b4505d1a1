# Strata on MySQL or MariaDB. Create the database strata_example first
# (strata creates tenant databases, never the one in the URL), then:
#   STRATA_MYSQL_URL='mysql://root@127.0.0.1:3306/strata_example' \
#     go run ./cmd/strata --config examples/mysql/strata.hcl migrate

locations = ["migrations"]

placeholders {
  values = { retention_days = "90" }
}

env "local" {
  url = env("STRATA_MYSQL_URL")       # mysql://user:password@host:3306/database (or mariadb://)
  lock { timeout = "60s" }            # GET_LOCK wait for another runner
  lock_timeout      = "5s"            # lock_wait_timeout and innodb_lock_wait_timeout of migration statements
  statement_timeout = "10min"         # max_statement_time (MariaDB); max_execution_time (MySQL, SELECT only)
}
