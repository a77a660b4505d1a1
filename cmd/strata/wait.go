package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stratadb/strata/engine/mysql"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/engine/sqlserver"
)

// DefaultWaitTimeout is how long `strata wait` waits by default (dbmate's
// --wait-timeout default).
const DefaultWaitTimeout = 60 * time.Second

// jsonWait is wait's JSON result.
type jsonWait struct {
	Ready    bool `json:"ready"`
	Attempts int  `json:"attempts"`
}

func (a *app) waitCommand() *cobra.Command {
	var timeout, interval time.Duration
	cmd := &cobra.Command{
		Use:     "wait",
		Short:   "Wait until the env's database accepts connections",
		Example: `  strata --env prod wait             # before migrate, in a container entrypoint`,
		Long: `Try to connect to the env's database until it accepts a connection, as
dbmate's wait does: every --interval (1s), for at most --timeout (60s). Exit 0
once connected; exit 5 when the database was not reachable in time; at once
when the server answered with a failure that waiting cannot cure: exit 6 for a
refused login, 7 for an unknown database. Off a terminal, each failed attempt prints one
line to stderr. Nothing is created or changed; sqlite:// answers at once.
connect_retries does not apply here: --timeout decides.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			if timeout <= 0 || interval <= 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("--timeout %s and --interval %s must both be positive", timeout, interval)}
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if err := a.registryWait(cmd.Context(), cfg, timeout, interval); err != nil {
				return err
			}
			if len(cfg.Env.Instances) == 0 {
				return a.wait(cmd.Context(), cfg.Env.URL.Text, timeout, interval)
			}
			// An env with instances: each in turn, each within --timeout.
			defer func() { a.cfg = cfg }()
			for _, inst := range cfg.Env.Instances {
				a.cfg = instanceConfig(cfg, inst, 1, fleetPass{})
				if err := a.wait(cmd.Context(), inst.URL.Text, timeout, interval); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", DefaultWaitTimeout, "give up after this long")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "wait this long between attempts")
	return cmd
}

// wait tries the env's database until it answers or timeout passes.
func (a *app) wait(ctx context.Context, u string, timeout, interval time.Duration) error {
	env := a.cfg.Env
	ready := func(attempts int) error {
		if a.format == "json" {
			a.result = jsonWait{Ready: true, Attempts: attempts}
			return nil
		}
		fmt.Fprintf(a.stdout, "%s: the database accepts connections (attempt %d)\n", a.envWhere(), attempts)
		return nil
	}
	scheme, _, _ := strings.Cut(u, ":")
	var db *sql.DB
	var err error
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		db, err = postgres.Open(ctx, u, pgOptions(env))
	case "sqlserver":
		db, err = sqlserver.Open(ctx, u, sqlserver.Options{ConnectTimeout: env.ConnectTimeout, NetworkTimeout: env.NetworkTimeout})
	case "mysql", "mariadb":
		db, err = mysql.Open(ctx, u, mysqlOptions(env))
	default:
		// SQLite (a file: it answers at once) and unsupported URLs, which
		// open reports.
		a.readOnly = true
		_, db, err := a.open(ctx, a.cfg)
		if err != nil {
			return err
		}
		db.Close()
		return ready(1)
	}
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("env %s: %s", env.Name, a.shown(err.Error()))}
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	tty := false
	if f, ok := fileOf(a.stderr); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	// On a terminal one status line is rewritten; it is ended before
	// anything else is printed.
	status := false
	defer func() {
		if status {
			fmt.Fprintln(a.stderr)
		}
	}()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for n := 1; ; n++ {
		err := db.PingContext(wctx)
		if err == nil {
			if status {
				fmt.Fprintln(a.stderr)
				status = false
			}
			return ready(n)
		}
		reason := a.connectReason(env, err)
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("env %s: wait for %s (attempt %d): %w", env.Name, display(env.URL), n, errInterruptedConnecting)
		case !connectFailure(err) && !errors.Is(err, context.DeadlineExceeded):
			kind := errUnreachable
			if lf := loginFailure(err); lf != nil {
				kind = lf
			}
			return fmt.Errorf("%w: env %s: %s answered, but waiting cannot help: %s; fix the url's user, password or database, then try again",
				kind, env.Name, display(env.URL), reason)
		case wctx.Err() != nil:
			return fmt.Errorf("%w: env %s: %s did not accept connections within %s (%d attempts); last error: %s; check that the database is starting and the url's host and port, or raise --timeout",
				errUnreachable, env.Name, display(env.URL), timeout, n, reason)
		}
		wait := interval
		last := false
		if dl, ok := wctx.Deadline(); ok && time.Until(dl) <= interval {
			wait, last = time.Until(dl), true // no time for another attempt: its reason ends the error
		}
		if last {
			// nothing to print: the timeout error below carries the reason
		} else if tty {
			fmt.Fprint(rawWriter(a.stderr), "\r") // the status line is rewritten; what follows is escaped
			fmt.Fprintf(a.stderr, "waiting for env %s: %s (attempt %d)", env.Name, display(env.URL), n)
			status = true
		} else {
			fmt.Fprintf(a.stderr, "waiting for env %s: cannot connect to %s (attempt %d): %s; trying again in %s\n",
				env.Name, display(env.URL), n, reason, interval)
		}
		t := time.NewTimer(wait)
		select {
		case <-wctx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return fmt.Errorf("env %s: wait for %s (attempt %d): %w", env.Name, display(env.URL), n, errInterruptedConnecting)
			}
			return fmt.Errorf("%w: env %s: %s did not accept connections within %s (%d attempts); last error: %s; check that the database is starting and the url's host and port, or raise --timeout",
				errUnreachable, env.Name, display(env.URL), timeout, n, reason)
		case <-t.C:
			if last {
				return fmt.Errorf("%w: env %s: %s did not accept connections within %s (%d attempts); last error: %s; check that the database is starting and the url's host and port, or raise --timeout",
					errUnreachable, env.Name, display(env.URL), timeout, n, reason)
			}
		}
	}
}
