out_of_order = "maybe"
schemas      = "app"

env "dev" {
  url             = "sqlite://dev.db"
  validate_naming = [true]
  locations       = ["migrations/dev", 3, ["nested"]]
  placeholders {
    values  = { role = ["a"], n = 5 }
    enabled = "yes"
  }
  tenants {
    schemas  = ["a"]
    parallel = "many"
  }
}
