env "dev" {
  url = "sqlite://dev.db"
}

env "test" {
  url = "sqlite://test.db"
}

env "prod" {
  url = env("DATABASE_URL")
}
