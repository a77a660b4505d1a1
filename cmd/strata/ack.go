package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/locations"
)

// jsonAck is ack's JSON result: one entry per location of the env.
type jsonAck struct {
	Locations []jsonAckLocation `json:"locations"`
}

type jsonAckLocation struct {
	Location string `json:"location"`
	File     string `json:"file"` // the strata.sum written
	Files    int    `json:"files"`
	// Changes since the strata.sum that was there (all files added when
	// there was none or it could not be read).
	Changes []jsonAckChange `json:"changes"`
	// Replaced says why the old strata.sum was not compared: it had merge
	// conflict markers or was edited by hand.
	Replaced string `json:"replaced,omitempty"`
}

type jsonAckChange struct {
	Kind string `json:"kind"` // added, edited, removed
	File string `json:"file"`
}

func (a *app) ackCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "ack",
		Short: "Acknowledge the migration files: write strata.sum in each location",
		Example: `  strata ack                         # after reviewing new or edited migrations
  strata --env prod ack --format json`,
		Long: `Write strata.sum in each location of the env: one line per migration file
(its path and Flyway checksum), then a hash of those lines. Offline: no
database is opened. Once a location has a strata.sum, migrate, validate and
migrate --dry-run refuse, before anything runs, files added, edited or
removed since the last ack, naming each one (require_ack decides per env;
--allow-unacknowledged overrides it for local work). When two branches each
add a migration, strata.sum conflicts on merge: review the files and run
strata ack, which writes it again from the files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			set, err := a.collect(cfg)
			if err != nil {
				return err
			}
			out := jsonAck{Locations: []jsonAckLocation{}}
			for _, l := range cfg.Env.Locations {
				name := locationName(l)
				sum := set.LocationSum(name)
				path := filepath.Join(l.Path, locations.SumFile)
				loc := jsonAckLocation{Location: name, File: relPath(path), Files: len(sum.Entries), Changes: []jsonAckChange{}}
				old, readErr := readSum(path)
				var se *locations.SumError
				switch {
				case errors.As(readErr, &se):
					loc.Replaced = se.Reason
				case readErr != nil && !errors.Is(readErr, fs.ErrNotExist):
					return fmt.Errorf("ack: %w", readErr)
				}
				for _, c := range locations.CompareSums(name, old, sum) {
					loc.Changes = append(loc.Changes, jsonAckChange{Kind: c.Kind, File: c.Path()})
				}
				if readErr == nil && len(loc.Changes) == 0 {
					out.Locations = append(out.Locations, loc)
					continue // unchanged: the file stays as it is
				}
				if err := os.WriteFile(path, sum.Format(), 0o644); err != nil {
					return fmt.Errorf("ack: write %s: %w", relPath(path), err)
				}
				out.Locations = append(out.Locations, loc)
			}
			if a.format == "json" {
				a.result = out
				return nil
			}
			for _, loc := range out.Locations {
				switch {
				case loc.Replaced != "":
					fmt.Fprintf(a.stdout, "%s: written again from the files (the old one: %s): %d file%s acknowledged\n", loc.File, loc.Replaced, loc.Files, plural(loc.Files))
				case len(loc.Changes) == 0:
					fmt.Fprintf(a.stdout, "%s: up to date (%d file%s)\n", loc.File, loc.Files, plural(loc.Files))
					continue
				default:
					fmt.Fprintf(a.stdout, "%s: %d file%s acknowledged\n", loc.File, loc.Files, plural(loc.Files))
				}
				for _, c := range loc.Changes {
					fmt.Fprintf(a.stdout, "  %-8s %s\n", c.Kind+":", c.File)
				}
			}
			return nil
		},
	}
}

// readSum reads and checks a strata.sum; a missing file is fs.ErrNotExist.
func readSum(path string) (locations.Sum, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return locations.Sum{}, err
	}
	return locations.ParseSum(relPath(path), b)
}

// checkAck refuses files added, edited or removed since the last strata
// ack, before the database is opened. The env's require_ack decides;
// unset, the check is made when a location of the env has a strata.sum,
// and then covers every location (one without a strata.sum has all its
// files unacknowledged). With --allow-unacknowledged the changes are
// warnings.
func (a *app) checkAck(cfg *config.Config, set *locations.Set) error {
	env := cfg.Env
	if env.RequireAck != nil && !*env.RequireAck {
		return nil
	}
	type read struct {
		sum locations.Sum
		err error
	}
	sums := make([]read, len(env.Locations))
	anySum := false
	for i, l := range env.Locations {
		s, err := readSum(filepath.Join(l.Path, locations.SumFile))
		sums[i] = read{s, err}
		if !errors.Is(err, fs.ErrNotExist) {
			anySum = true
		}
	}
	if env.RequireAck == nil && !anySum {
		return nil
	}
	var changes []locations.AckChange
	var errs []error
	for i, l := range env.Locations {
		r := sums[i]
		if r.err != nil && !errors.Is(r.err, fs.ErrNotExist) {
			errs = append(errs, r.err)
			continue
		}
		name := locationName(l)
		changes = append(changes, locations.CompareSums(name, r.sum, set.LocationSum(name))...)
	}
	if len(changes) > 0 {
		errs = append(errs, &locations.AckError{Changes: changes})
	}
	if len(errs) == 0 {
		return nil
	}
	err := errors.Join(errs...)
	if a.allowUnacked {
		for _, e := range errs {
			msg := strings.Replace(e.Error(), "so nothing was run", "run anyway (--allow-unacknowledged)", 1)
			fmt.Fprintf(a.stderr, "warning: %s\n", msg)
			a.warn("", msg)
		}
		return nil
	}
	return err
}
