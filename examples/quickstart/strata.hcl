# Strata quickstart: one shared location plus one for the dev env, on SQLite.
# Run from the repository root:
#   go run ./cmd/strata --config examples/quickstart/strata.hcl migrate

locations = ["migrations/common"]

placeholders {
  values = {
    app_name     = "quickstart"
    default_plan = "free"
  }
}

env "dev" {
  url       = "sqlite://dev.db"       # relative to this file
  locations = ["migrations/dev"]      # merged after the shared locations
  placeholders {
    values = { default_plan = "trial" } # merged key by key over the shared values
  }
}
