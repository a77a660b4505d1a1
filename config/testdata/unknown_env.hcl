# test: env=prdo
env "dev" {
  url = "sqlite://dev.db"
}

env "prod" {
  url = env("DATABASE_URL")
}
