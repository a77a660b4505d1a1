url            = "postgres://db/app"
clean_disabled = false
overrides      = ["migrations/prod-overrides"]

tenants {
  pattern = "tenant_*"
}

env "dev" {
  url = "sqlite://dev.db"
}
