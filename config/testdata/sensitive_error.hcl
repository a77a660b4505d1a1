# test: setenv=PW=s3cret
env "dev" {
  url          = "postgres://app:${env("PW")}@db/app"
  installed_by = tonumber(env("PW"))
  target       = regex(env("PW"), "x")
}
