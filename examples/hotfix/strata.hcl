# The hotfix story: production runs version 7, development is already at 8,
# and a fix numbered 7.1 must reach both. See README.md for the walkthrough.

locations = ["migrations"]

# Versions allowed below the highest applied one. Everything else stays in
# order: out_of_order = false is the default.
hotfixes = ["7.1"]

env "prod" {
  url    = "sqlite://prod.db"
  target = "7"                  # prod has not received 8 yet
}

env "dev" {
  url = "sqlite://dev.db"
}
