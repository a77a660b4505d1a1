# test: var=port=abc
# test: var=names=[oops
# test: var=stag=x
# test: var=secret=not-a-bool
variable "port" {
  type    = number
  default = 5432
}

variable "names" {
  type    = list(string)
  default = []
}

variable "stage" {
  type = string
}

variable "secret" {
  type      = bool
  sensitive = true
  default   = false
}

env "dev" {
  url = "postgres://db:${var.port}/app"
}
