env "dev" {
  url       = "sqlite://dev.db"
  locations = ["migrations/*", "migrations/x*", "migrations/[a"]
}
