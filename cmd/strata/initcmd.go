package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/stratadb/strata/config"
)

func (a *app) initCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Write a commented strata.hcl and a migrations folder",
		Long: `Write strata.hcl (or the file --config or STRATA_CONFIG names) with one env
"dev" and a commented line for the settings most projects change, and create
the migrations folder beside it. The env's url is --url when given, else
sqlite://dev.db. A url with a password is not written into the file: the env
reads it with env("DATABASE_URL") instead, to be set in the environment or
in .env beside strata.hcl. An existing strata.hcl is never overwritten.`,
		Example: `  strata init
  strata init --url postgres://app@localhost:5432/app`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			return a.init()
		},
	}
}

func (a *app) init() error {
	path := a.configPath
	if path == "" {
		path = os.Getenv("STRATA_CONFIG")
	}
	if path == "" {
		path = defaultConfigFile
	}
	url := a.url
	if url == "" {
		url = "sqlite://dev.db"
	}
	scheme, _, _ := strings.Cut(url, ":")
	if _, ok := dialects[strings.ToLower(scheme)]; !ok || !strings.Contains(url, "://") {
		var names []string
		for k := range dialects {
			names = append(names, k+"://")
		}
		sort.Strings(names)
		return &exitError{code: exitUsage, err: fmt.Errorf("--url %s: unsupported database; supported: %s", config.RedactURL(url), strings.Join(names, ", "))}
	}
	secret := config.RedactURL(url) != url
	src := initFile(url, secret)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s exists already: strata init never overwrites it; edit it, or remove it first", relPath(path))}
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", relPath(path), err)
	}
	if _, err := f.Write(src); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", relPath(path), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", relPath(path), err)
	}
	dir := filepath.Join(filepath.Dir(path), defaultLocation)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", relPath(dir), err)
	}
	w := a.stdout
	fmt.Fprintf(w, "created %s (env dev: %s)\n", relPath(path), a.redact(config.RedactURL(url)))
	fmt.Fprintf(w, "created %s%c\n", relPath(dir), filepath.Separator)
	if secret {
		fmt.Fprintf(w, "the url holds a password, so %s reads it with env(\"DATABASE_URL\"): set DATABASE_URL in the environment, or in %s beside it (keep .env out of version control)\n",
			relPath(path), relPath(filepath.Join(filepath.Dir(path), ".env")))
	}
	fmt.Fprintln(w, "next: strata new create_users, write the SQL, then strata migrate")
	return nil
}

// initFile is the strata.hcl that strata init writes.
func initFile(url string, secret bool) []byte {
	urlLine := "url = " + string(hclwrite.TokensForValue(cty.StringVal(url)).Bytes())
	if secret {
		urlLine = `url = env("DATABASE_URL")`
	}
	return []byte(`# strata.hcl: Strata's configuration; the README describes every setting.
#
# Migration files are named as Flyway names them: V1__create_users.sql
# (versioned), R__views.sql (repeatable), U1__create_users.sql (undo).
# strata new create_users creates the next one.

# Folders of migration files, relative to this file.
locations = ["` + defaultLocation + `"]

# One env per database; with several, choose one with --env (or STRATA_ENV).
env "dev" {
  # The database. Keep passwords out of this file: url = env("DATABASE_URL")
  # reads the url from the environment, or from .env beside this file.
  # --url and STRATA_URL replace it for one run.
  ` + urlLine + `

  # schemas        = ["app"]  # PostgreSQL, SQL Server: the schemas to manage
  # clean_disabled = false    # allow strata clean (never in production)
  # confirm        = true     # production: migrate shows what it will do and asks (or --yes)
  # require_ack    = true     # refuse files not reviewed with strata ack (strata.sum)
  # lock {
  #   timeout = "30s"         # how long to wait for another run's lock
  # }
}
`)
}
