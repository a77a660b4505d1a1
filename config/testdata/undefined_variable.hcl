variable "stage" {
  type    = string
  default = "dev"
}

env "dev" {
  url          = "sqlite://${var.stag}.db"
  installed_by = stage
  target       = local.x
}
