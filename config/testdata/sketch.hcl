# test: env=prod
# test: setenv=DATABASE_URL=postgres://app:s3cret@db/app
# test: placeholder=build=42
# The sketch from SPEC.md section 3, resolved for prod.
variable "stage" {
  type    = string
  default = "dev"
}

locations    = ["migrations/common"]
out_of_order = false

placeholders {
  values = { app_role = "app_rw", stage = var.stage }
}

history {
  table = "strata_schema_history"
}

env "dev" {
  url       = "sqlite://dev.db"
  locations = ["migrations/dev"]
}

env "prod" {
  url       = env("DATABASE_URL")
  locations = ["migrations/prod"]
  overrides = ["migrations/prod-overrides"]
  hotfixes  = ["7.1"]
  schemas   = ["shared"]
  history { schema = "control" }
  placeholders {
    prefix = "#["
    suffix = "]"
    values = { app_role = "app_prod" }
  }
  tenants {
    query    = "SELECT schema_name FROM control.tenants WHERE active"
    parallel = 8
    on_error = "continue"
  }
}
