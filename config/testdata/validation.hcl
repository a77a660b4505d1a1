pooler                    = "session"
ignore_migration_patterns = ["*:future", "versioned:gone", "missing"]

placeholders {
  prefix = ""
  values = { app_role = "app_rw", APP_ROLE = "x", "strata:schema" = "s" }
}

history {
  table = ""
}

env "dev" {
  url = ""
  tenants {
    pattern  = "tenant_[a"
    parallel = 0
    on_error = "abort"
  }
}
