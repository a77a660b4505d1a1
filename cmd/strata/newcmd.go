package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/locations"
)

// now is the clock of `strata new`; tests replace it.
var now = time.Now

func (a *app) newCommand() *cobra.Command {
	var undo bool
	var location string
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Create a versioned migration named with a timestamp version",
		Long: `Create V<yyyyMMddHHmmss>__NAME.sql (UTC) in the env's first location, or in
the location given with --location. With --undo, also create its undo twin
U<same version>__NAME.sql. The env's sql_migration_prefix,
undo_sql_migration_prefix, sql_migration_separator and first
sql_migration_suffixes entry replace V, U, __ and .sql.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			desc, err := description(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			locs := cfg.Env.Locations
			if len(locs) == 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("env %s has no locations: add locations = [\"migrations\"] to strata.hcl", cfg.Env.Name)}
			}
			dir := locs[0].Path
			if location != "" {
				dir = ""
				var names []string
				for _, l := range locs {
					names = append(names, l.Display)
					if l.Display == location || filepath.Clean(l.Display) == filepath.Clean(location) {
						dir = l.Path
					}
				}
				if dir == "" {
					return &exitError{code: exitUsage, err: fmt.Errorf("--location %q is not a location of env %s; its locations are: %s", location, cfg.Env.Name, strings.Join(names, ", "))}
				}
			}
			naming := cfg.Env.Naming
			version, err := freeVersion(locs, naming, now().UTC())
			if err != nil {
				return err
			}
			names := []string{naming.FileName(locations.Versioned, version, desc)}
			if undo {
				names = append(names, naming.FileName(locations.Undo, version, desc))
			}
			for i, n := range names {
				p := filepath.Join(dir, n)
				f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
				if errors.Is(err, os.ErrExist) {
					return fmt.Errorf("create %s: it exists already; wait a second or pick another name", relPath(p))
				}
				if err != nil {
					return fmt.Errorf("create migration: %w", err)
				}
				header := "-- " + strings.ReplaceAll(desc, "_", " ") + "\n"
				if i == 1 {
					header = "-- undo of " + naming.Prefix(locations.Versioned) + version + ": " + strings.ReplaceAll(desc, "_", " ") + "\n"
				}
				if _, err := f.WriteString(header); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "created "+filepath.ToSlash(relPath(p)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&undo, "undo", false, "also create the undo migration U<version>__NAME.sql")
	cmd.Flags().StringVar(&location, "location", "", "location to create the file in, as written in strata.hcl (default: the env's first)")
	return cmd
}

// freeVersion returns the timestamp version of t, moved on by a second at a
// time while any location of the env already has that version (two files
// created within one second must not collide).
func freeVersion(locs []config.Location, naming locations.Naming, t time.Time) (string, error) {
	taken := map[string]bool{}
	for _, l := range locs {
		err := filepath.WalkDir(l.Path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if n, err := naming.Parse(d.Name()); err == nil && !n.Version.IsZero() {
				taken[n.Version.Canonical()] = true
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("read location %s: %w", l.Display, err)
		}
	}
	for {
		v := t.Format("20060102150405")
		if !taken[v] {
			return v, nil
		}
		t = t.Add(time.Second)
	}
}

// description turns a name into a file-name description: words joined by
// underscores, letters and digits of any script kept.
func description(name string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(name) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case r == ' ' || r == '_' || r == '-' || r == '.':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		default:
			return "", fmt.Errorf("name %q: %q cannot be part of a file name; use letters, digits, spaces, '-' or '_'", name, r)
		}
	}
	d := strings.Trim(b.String(), "_")
	if d == "" {
		return "", fmt.Errorf("name %q has no letters or digits", name)
	}
	return d, nil
}
