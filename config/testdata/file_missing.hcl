env "dev" {
  url = trimspace(file("secrets/db-url.txt"))
}
