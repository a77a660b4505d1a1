# test: env=two
env "two" {
  url = "postgres://db/app"
  tenants {
    schemas = ["a", "b"]
    query   = "SELECT schema_name FROM control.tenants"
  }
}

env "none" {
  url = "postgres://db/app"
  tenants {
    parallel = 2
  }
}
