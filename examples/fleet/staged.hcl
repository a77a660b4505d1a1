# The same fleet, rolled out in waves across both instances: strata reads
# every instance's tenants, interleaves them (the first of each instance,
# then the second of each...), so the canary of two tenants lands on both
# databases; no later wave starts on either instance if the canary fails.
#   go run ./cmd/strata --config examples/fleet/staged.hcl migrate --dry-run
variable "eu_url" {
  type    = string
  default = "postgres://postgres@127.0.0.1:5432/strata_fleet_eu?sslmode=disable"
}

variable "us_url" {
  type    = string
  default = "postgres://postgres@127.0.0.1:5432/strata_fleet_us?sslmode=disable"
}

env "staged" {
  instances       = [var.eu_url, var.us_url]
  max_connections = 8
  tenants {
    pattern  = "tenant_*"
    parallel = 3
  }
  locations = ["migrations"]

  rollout {
    wave "canary" { count = 2 }
    wave "rest" {
      max_failures = 1 # one failed tenant is listed and left behind; two stop the rollout
    }
  }
}
