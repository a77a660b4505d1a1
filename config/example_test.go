package config_test

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/stratadb/strata/config"
)

func ExampleParse() {
	src := []byte(`
placeholders {
  prefix = "$${"                 # a literal "${" is written "$${"
  values = { app_role = "app_rw" }
}

env "dev" {
  url = "sqlite://dev.db"
}

env "prod" {
  url = format("postgres://app:%s@db/app", env("DB_PASSWORD"))
  placeholders {
    values = { app_role = "app_prod" }
  }
}
`)
	cfg, diags := config.Parse(src, "strata.hcl", config.Options{
		Env:       "prod",
		LookupEnv: func(string) (string, bool) { return "s3cret", true },
	})
	if diags.HasErrors() {
		_ = hcl.NewDiagnosticTextWriter(os.Stderr, cfg.Files, 80, false).WriteDiagnostics(diags)
		return
	}
	e := cfg.Env
	fmt.Println(e.Name, e.URL.Display(), e.History.Table)
	fmt.Println(e.Placeholders.Prefix, e.Placeholders.Values["app_role"].Display())
	// Output:
	// prod (sensitive) strata_schema_history
	// ${ app_prod
}

func ExampleRedactURL() {
	fmt.Println(config.RedactURL("postgres://app:s3cret@db:5432/app?sslmode=require"))
	fmt.Println(config.RedactURL("host=db user=app password=s3cret dbname=app"))
	// Output:
	// postgres://app:***@db:5432/app?sslmode=require
	// host=db user=app password=*** dbname=app
}
