package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/internal/undogen"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// jsonUndoGen is undo-gen's JSON result.
type jsonUndoGen struct {
	Version  string            `json:"version"`
	From     string            `json:"from"`     // the V file
	File     *string           `json:"file"`     // the U file written; null when refused
	Checksum int32             `json:"checksum"` // the V file's checksum, in the U file's header
	Refusals []jsonUndoRefusal `json:"refusals"` // statements without a known inverse
}

type jsonUndoRefusal struct {
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Statement string `json:"statement"`
	Reason    string `json:"reason"`
}

func (a *app) undoGenCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "undo-gen VERSION",
		Short: "Write the undo script (U) of a versioned PostgreSQL migration whose statements all have a known inverse",
		Example: `  strata undo-gen 3                  # writes U3__<description>.sql beside V3__<description>.sql
  strata undo-gen V3__accounts.sql
  strata undo-gen 3 --format json`,
		Long: `Read the versioned migration VERSION (a version, or the V file's name) with
PostgreSQL's own parser and write U<VERSION>__<description>.sql beside it: the
inverse of each statement, in reverse order, placeholders kept as placeholders.
Its first line says it was generated and from which checksum of the V file;
strata validate warns when the V file changed since.

When a statement has no known inverse (DROP, a data change, ALTER COLUMN
TYPE, a DO block, COMMENT, OR REPLACE, IF NOT EXISTS, a statement the parser
refuses) nothing is written, each such statement is listed with its line and
why, and the exit code is 1. An existing U file is replaced only when undo-gen
wrote it (or it holds only comments), or with --force. PostgreSQL only: on
SQLite, SQL Server and MySQL envs it exits 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if err := postgresOnly("undo-gen", cfg.Env); err != nil {
				return err
			}
			set, err := a.collect(cfg)
			if err != nil {
				return err
			}
			v, err := findVersioned(set, args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			vPath, err := diskPath(cfg.Env, v)
			if err != nil {
				return err
			}
			naming := cfg.Env.Naming
			base := filepath.Base(vPath)
			// The U file's name is the V file's with the undo prefix.
			uName := naming.FileName(locations.Undo, v.Version.String(), strings.ReplaceAll(v.Description, " ", "_"))
			if vp := naming.Prefix(locations.Versioned); len(base) > len(vp) && strings.EqualFold(base[:len(vp)], vp) {
				uName = naming.Prefix(locations.Undo) + base[len(vp):]
			}
			uPath := filepath.Join(filepath.Dir(vPath), uName)
			for _, u := range set.Undo {
				if u.Version.Equal(v.Version) {
					if p, err := diskPath(cfg.Env, u); err == nil {
						uPath = p
					}
				}
			}
			text, err := v.ReadText()
			if err != nil {
				return err
			}
			out := jsonUndoGen{Version: v.Version.String(), From: v.Path(), Checksum: v.Checksum, Refusals: []jsonUndoRefusal{}}
			if a.format == "json" {
				a.result = &out
			}
			undo, err := undogen.Generate(undogen.Source{Name: base, Text: text, Checksum: v.Checksum,
				Syntax: placeholders.Syntax{Prefix: cfg.Env.Placeholders.Prefix, Suffix: cfg.Env.Placeholders.Suffix}})
			var re *undogen.RefusedError
			if errors.As(err, &re) {
				for _, r := range re.Refusals {
					out.Refusals = append(out.Refusals, jsonUndoRefusal(r))
				}
				return &undoRefused{path: v.Path(), err: re}
			}
			if err != nil {
				return fmt.Errorf("undo-gen %s: %w", v.Path(), err)
			}
			if old, err := os.ReadFile(uPath); err == nil && !force {
				if _, _, gen := undogen.GeneratedFrom(string(old)); !gen && !onlyComments(string(old)) {
					return &exitError{code: exitUsage, err: fmt.Errorf("%s exists and was not written by undo-gen: keep it, or replace it with strata undo-gen %s --force", relPath(uPath), v.Version)}
				}
			}
			if err := os.WriteFile(uPath, []byte(undo), 0o644); err != nil {
				return fmt.Errorf("write the undo script: %w", err)
			}
			rel := filepath.ToSlash(relPath(uPath))
			out.File = &rel
			if a.format == "text" {
				fmt.Fprintf(a.stdout, "wrote %s: %d statement%s undone, from %s (checksum %d)\n", rel,
					strings.Count(undo, "\n-- undoes line "), plural(strings.Count(undo, "\n-- undoes line ")), v.Path(), v.Checksum)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing U file that undo-gen did not write")
	return cmd
}

// undoRefused is undo-gen refusing: the statements without an inverse.
type undoRefused struct {
	path string
	err  *undogen.RefusedError
}

func (e *undoRefused) Error() string { return e.err.Error() }
func (e *undoRefused) Unwrap() error { return e.err }

// postgresOnly refuses, with exit 2, an env whose url is not PostgreSQL's.
// An env without a url (files named on the command line) is taken as
// PostgreSQL.
func postgresOnly(command string, env *config.Env) error {
	scheme, _, _ := strings.Cut(env.URL.Text, ":")
	switch strings.ToLower(scheme) {
	case "", "postgres", "postgresql":
		return nil
	}
	name := map[string]string{"sqlite": "SQLite", "file": "SQLite", "sqlserver": "SQL Server", "mysql": "MySQL", "mariadb": "MariaDB"}[strings.ToLower(scheme)]
	if name == "" {
		name = scheme
	}
	if command == "migrate" {
		return &exitError{code: exitUsage, err: fmt.Errorf("env %s sets lint, which supports PostgreSQL only (it reads the SQL with PostgreSQL's parser), and env %s is a %s database: nothing was applied; set lint in the PostgreSQL envs only", env.Name, env.Name, name)}
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("strata %s supports PostgreSQL only (it reads the SQL with PostgreSQL's parser); env %s is a %s database: nothing was read or written", command, env.Name, name)}
}

// findVersioned finds the versioned migration a command line names: a
// version ("3", "V3") or a file name or path.
func findVersioned(set *locations.Set, arg string) (*locations.File, error) {
	if strings.HasSuffix(strings.ToLower(arg), ".sql") {
		for _, f := range set.Versioned {
			if f.Path() == filepath.ToSlash(arg) || filepath.Base(f.Script) == filepath.Base(arg) {
				return f, nil
			}
		}
		return nil, fmt.Errorf("%s is not a versioned migration of this env: strata info lists them", arg)
	}
	t := strings.TrimLeft(arg, "Vv")
	ver, err := locations.ParseVersion(t)
	if err != nil {
		return nil, fmt.Errorf("%q is not a version (%v): give a version such as 3 or 7.1, or the V file's name", arg, err)
	}
	for _, f := range set.Versioned {
		if f.Version.Equal(ver) {
			return f, nil
		}
	}
	return nil, fmt.Errorf("no versioned migration has version %s: strata info lists them", ver)
}

// diskPath is where a collected file is on disk.
func diskPath(env *config.Env, f *locations.File) (string, error) {
	for _, l := range env.Locations {
		if locationName(l) == f.Location {
			return filepath.Join(l.Path, filepath.FromSlash(f.Script)), nil
		}
	}
	return "", fmt.Errorf("%s: its location is not one of env %s", f.Path(), env.Name)
}

// onlyComments reports whether a script holds nothing but comments and
// blank lines (as strata new --undo writes it).
func onlyComments(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			return false
		}
	}
	return true
}

// staleUndoScripts returns a warning for each undo script undo-gen wrote
// whose versioned script changed since (its checksum is not the one in
// the undo script's header). Files that cannot be read are left to the
// commands' own checks.
func staleUndoScripts(env *config.Env) []string {
	roots := make([]locations.Root, 0, len(env.Locations))
	for _, l := range env.Locations {
		roots = append(roots, locations.Root{Name: locationName(l), FS: os.DirFS(l.Path), Override: l.Override})
	}
	set, err := locations.Collect(roots, locations.Options{Naming: env.Naming})
	if err != nil {
		return nil
	}
	var out []string
	for _, u := range set.Undo {
		text, err := u.ReadText()
		if err != nil {
			continue
		}
		name, sum, ok := undogen.GeneratedFrom(text)
		if !ok {
			continue
		}
		for _, v := range set.Versioned {
			if v.Version.Equal(u.Version) && v.Checksum != sum {
				out = append(out, fmt.Sprintf("%s was generated from %s with checksum %d, but %s now has checksum %d: it may no longer undo it; run strata undo-gen %s",
					u.Path(), name, sum, v.Path(), v.Checksum, v.Version))
			}
		}
	}
	return out
}
