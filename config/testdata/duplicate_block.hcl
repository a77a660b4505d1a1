history {
  table = "a"
}

history {
  table = "b"
}

variable "x" {
  default = 1
}

variable "x" {
  default = 2
}

env "dev" {
  url = "sqlite://dev.db"
  lock { timeout = "1s" }
  lock { timeout = "2s" }
}
