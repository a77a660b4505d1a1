package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/locations"
)

// now is the clock of `strata new`; tests replace it.
var now = time.Now

// jsonNew is new's JSON result: the version given and the files created,
// as the text output names them.
type jsonNew struct {
	Version string   `json:"version"`
	Files   []string `json:"files"`
}

func (a *app) newCommand() *cobra.Command {
	var undo, sequential, timestamp bool
	var location string
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Create a versioned migration, numbered after the last one or by timestamp",
		Example: `  strata new create_accounts        # V<timestamp>__create_accounts.sql
  strata new add_index --undo        # and its U twin
  strata new seed --location db/dev`,
		Long: `Create V<version>__NAME.sql in the env's first location, or in the location
given with --location. The version is the next whole number after the highest
version of the env's files when they are numbered 1, 2, 3 (or 001, 002: the
width is kept), or with --sequential; otherwise, or with --timestamp, it is
the time in UTC, yyyyMMddHHmmss. With --undo, also create its undo twin
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
			if sequential && timestamp {
				return &exitError{code: exitUsage, err: errors.New("--sequential and --timestamp: give one of them")}
			}
			naming := cfg.Env.Naming
			taken, err := takenVersions(locs, naming)
			if err != nil {
				return err
			}
			var version string
			switch {
			case sequential || (!timestamp && numberedSequentially(taken)):
				version = nextSequential(taken)
			default:
				version = freeTimestamp(taken, now().UTC())
			}
			if err != nil {
				return err
			}
			names := []string{naming.FileName(locations.Versioned, version, desc)}
			if undo {
				names = append(names, naming.FileName(locations.Undo, version, desc))
			}
			created := jsonNew{Version: version, Files: []string{}}
			if a.format == "json" {
				a.result = created
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
					if postgresOnly("undo-gen", cfg.Env) == nil {
						header += "-- Write it by hand, or let strata undo-gen " + version + " write it from " + names[0] + "\n" +
							"-- once that file is written (when each of its statements has a known inverse).\n"
					}
				}
				if _, err := f.WriteString(header); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				rel := filepath.ToSlash(relPath(p))
				if a.format == "json" {
					created.Files = append(created.Files, rel)
					a.result = created
					continue
				}
				fmt.Fprintln(a.stdout, "created "+rel)
			}
			if _, err := os.Stat(filepath.Join(dir, locations.SumFile)); err == nil && a.format == "text" {
				fmt.Fprintf(a.stdout, "this location has a %s: migrate runs the new file once it is reviewed and acknowledged with strata ack (or with --allow-unacknowledged)\n", locations.SumFile)
			}
			if undo && a.format == "text" && postgresOnly("undo-gen", cfg.Env) == nil {
				fmt.Fprintf(a.stdout, "write %s, then strata undo-gen %s writes %s from it (PostgreSQL's parser; it refuses, naming the lines, what has no known inverse)\n", names[0], version, names[1])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&undo, "undo", false, "also create the undo migration U<version>__NAME.sql")
	cmd.Flags().BoolVar(&sequential, "sequential", false, "number the file after the highest version (default when the files are numbered 1, 2, 3)")
	cmd.Flags().BoolVar(&timestamp, "timestamp", false, "version the file with the time in UTC, yyyyMMddHHmmss (default unless the files are numbered 1, 2, 3)")
	cmd.Flags().StringVar(&location, "location", "", "location to create the file in, as written in strata.hcl (default: the env's first)")
	return cmd
}

// takenVersions are the versions of the files in every location of the env
// (versioned, undo and baseline alike), as written in their names.
func takenVersions(locs []config.Location, naming locations.Naming) ([]locations.Version, error) {
	var out []locations.Version
	for _, l := range locs {
		err := filepath.WalkDir(l.Path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if n, err := naming.Parse(d.Name()); err == nil && !n.Version.IsZero() {
				out = append(out, n.Version)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read location %s: %w", l.Display, err)
		}
	}
	return out, nil
}

// sequentialDigits is the most digits a version numbered 1, 2, 3 has: a
// longer whole number is taken for a timestamp (yyyyMMddHHmmss has 14).
const sequentialDigits = 8

// numberedSequentially reports whether the env's files are numbered 1, 2,
// 3: there is at least one, and the first part of every version has at
// most sequentialDigits digits (a hotfix 7.1 among them is fine).
func numberedSequentially(taken []locations.Version) bool {
	for _, v := range taken {
		if first, _, _ := strings.Cut(v.String(), "."); len(first) > sequentialDigits {
			return false
		}
	}
	return len(taken) > 0
}

// nextSequential is the next whole number after the highest version's
// first part ("7.1" gives 8), zero-padded to the width of the existing
// versions when they all have one (001, 002 give 003).
func nextSequential(taken []locations.Version) string {
	next, width := 1, 0
	for i, v := range taken {
		first, _, _ := strings.Cut(v.String(), ".")
		if n, err := strconv.Atoi(first); err == nil && n+1 > next {
			next = n + 1
		}
		switch {
		case i == 0 && strings.HasPrefix(first, "0"):
			width = len(first)
		case len(first) != width:
			width = 0
		}
	}
	return fmt.Sprintf("%0*d", width, next)
}

// freeTimestamp returns the timestamp version of t, moved on by a second at
// a time while any location of the env already has that version (two files
// created within one second must not collide).
func freeTimestamp(taken []locations.Version, t time.Time) string {
	used := map[string]bool{}
	for _, v := range taken {
		used[v.Canonical()] = true
	}
	for {
		v := t.Format("20060102150405")
		if !used[v] {
			return v
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
