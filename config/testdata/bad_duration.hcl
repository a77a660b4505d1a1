lock_timeout = "5 s"

lock {
  timeout = "30"
}

env "dev" {
  url               = "sqlite://dev.db"
  statement_timeout = "-1m"
}
