env "prod" {
  url      = "postgres://db/app"
  hotfixes = [7.10, "7.2", "V7.3"]
  target   = 8.0
}
