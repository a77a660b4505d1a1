package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/internal/ctxsleep"
)

// connectFailure reports whether err says that the server could not be
// reached, or is not ready yet, rather than that it refused this client:
// refused or reset connections, DNS failures, timeouts, a connection closed
// during the handshake, and the server's own "starting up" (PostgreSQL
// SQLSTATE 57P03) and "too many connections" (53300) answers. Failed
// logins, unknown databases and TLS problems are not retried: trying again
// would give the same answer.
func connectFailure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "57P03", "53300": // cannot_connect_now (starting up, shutting down, recovery), too_many_connections
			return true
		}
		return false
	}
	var dns *net.DNSError
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &dns), errors.As(err, &op):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}

// retryWait is the wait before try n+1 after n failed tries: Flyway's
// backoff, 1s doubled after every try, never more than max.
func retryWait(n int, max time.Duration) time.Duration {
	d := time.Second
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// errInterruptedConnecting marks a SIGINT or SIGTERM that arrived while
// strata waited for the database: nothing had been run.
var errInterruptedConnecting = errors.New("interrupted while waiting for the database; nothing was run")

// ping checks that the env's server database answers. A connection
// failure (see connectFailure) is tried again env.ConnectRetries times, as
// Flyway's connectRetries does, waiting 1s, 2s, 4s, ... but never more than
// env.ConnectRetriesInterval; each retry prints one line to stderr in text
// mode. SIGINT or SIGTERM during a wait stops at once.
func (a *app) ping(ctx context.Context, env *config.Env, db *sql.DB) error {
	tries := env.ConnectRetries + 1
	for n := 1; ; n++ {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		reason := a.connectReason(env, err)
		if ctx.Err() != nil {
			return fmt.Errorf("env %s: connect to %s (attempt %d of %d): %w", env.Name, display(env.URL), n, tries, errInterruptedConnecting)
		}
		if n >= tries || !connectFailure(err) {
			after := ""
			if n > 1 {
				after = fmt.Sprintf(" (after %d attempts, connect_retries = %d)", n, env.ConnectRetries)
			}
			next := "nothing was run; check the url's user, password and database"
			if connectFailure(err) {
				next = "nothing was run; start the database or fix the url's host and port, then run the command again (connect_retries, or strata wait, waits for a database that is starting)"
			}
			kind := errUnreachable
			if lf := loginFailure(err); lf != nil {
				kind = lf
			}
			return fmt.Errorf("%w: env %s: connect to %s%s: %s; %s", kind, env.Name, display(env.URL), after, reason, next)
		}
		wait := retryWait(n, env.ConnectRetriesInterval)
		if a.format == "text" {
			fmt.Fprintf(a.stderr, "warning: env %s: cannot connect to %s (attempt %d of %d): %s; trying again in %s\n",
				env.Name, display(env.URL), n, tries, reason, wait)
		}
		if !ctxsleep.Sleep(ctx, wait) {
			return fmt.Errorf("env %s: connect to %s (attempt %d of %d): %w", env.Name, display(env.URL), n, tries, errInterruptedConnecting)
		}
	}
}

// connectReason is the driver's message with every secret masked (see
// redact): URLs, sensitive values, and every piece of the env's URL
// password, which a driver may show as a host name ("lookup s3cret@db").
func (a *app) connectReason(_ *config.Env, err error) string {
	return a.shown(err.Error())
}
