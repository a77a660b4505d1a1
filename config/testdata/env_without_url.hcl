locations = ["migrations/common"]

env "dev" {
  locations = ["migrations/dev"]
}
