variable "password" {
  type      = string
  sensitive = true
}

variable "unused" {
  type = string
}

env "dev" {
  url = "postgres://app:${var.password}@db/app"
}
