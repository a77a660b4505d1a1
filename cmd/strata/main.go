// Command strata is Strata's command-line interface: a thin shell over the
// engine that loads strata.hcl, wires the dialect, renders results and maps
// failures to exit codes.
//
// Exit codes:
//
//	0  success, including nothing to migrate
//	1  a migration or another database operation failed; undo-gen refused
//	2  usage error or invalid configuration (strata.hcl, flags, migration files);
//	   undo-gen or lint on an env that is not PostgreSQL
//	3  validation failed: checksum drift, missing or failed migrations, pending
//	   migrations (validate), out-of-order versions, undefined placeholders,
//	   an error-level lint finding (lint, migrate with lint = "error")
//	4  a lock could not be acquired within the timeout
//	5  the database could not be reached
//	6  the server refused the login (authentication or authorisation)
//	7  the url's database does not exist
//	130 interrupted by SIGINT or SIGTERM
package main

import (
	"context"
	"fmt"
	"os"

	// First, for its side effect: SIGINT and SIGTERM are caught from the
	// moment os/signal is initialised, before the drivers' packages, so a
	// signal during start-up exits 130 and not 143.
	"github.com/stratadb/strata/internal/earlysignal"
)

func main() {
	ctx, stop := earlysignal.Context(context.Background())
	code := exitInterrupted
	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "interrupted before anything ran: nothing was applied")
	default:
		code = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}
