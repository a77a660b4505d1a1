env "dev" {
  url = "sqlite://dev.db
}
