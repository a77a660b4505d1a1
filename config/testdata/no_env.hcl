locations = ["migrations/common"]
