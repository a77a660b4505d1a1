# test: env=dev
env "dev" {
  url = "sqlite://dev.db"
}

env "prod" {
  url = "postgres://db/app"
}

env "dev" {
  url = "sqlite://other.db"
}
