# Team workflows: acknowledged migration sets (strata ack, strata.sum),
# discarding a migration (undo --discard), several envs in one command and a
# confirmation before migrating production. See README.md.

locations = ["migrations"]

env "dev" {
  url = "sqlite://dev.db"
  # require_ack is unset: acks are required because migrations/strata.sum exists.
}

env "prod" {
  url         = "sqlite://prod.db"
  require_ack = true # deleting strata.sum does not switch the check off here
  confirm     = true # migrate asks first (or --yes)
}
