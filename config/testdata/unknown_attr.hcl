locaitons = ["migrations/common"]
ulr       = "sqlite://x.db"

placeholder {
  values = { a = "b" }
}

history = { table = "x" }

env "dev" {
  url     = "sqlite://dev.db"
  ulr     = "sqlite://dev.db"
  schemes = ["app"]
  bogus   = 1

  variable "x" {}
  tenant {
    schemas = ["a"]
  }
  lock {
    timeuot = "5s"
  }
}
