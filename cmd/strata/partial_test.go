package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
)

// TestRolledBackOnlyWhenItWas: the detail of a failed migration and the
// line after an interrupt say "rolled back" for a transactional file, and
// what stayed applied for a file run statement by statement.
func TestRolledBackOnlyWhenItWas(t *testing.T) {
	tx := &engine.MigrationError{Path: "db/V1__a.sql", Target: "main", RolledBack: true, Err: errors.New("boom")}
	partial := &engine.MigrationError{Path: "db/V2__b.sql", Target: "main", Err: errors.New("boom"),
		Partial: &engine.PartialRun{Applied: 2, Total: 4, Failed: 3}}
	if d := migrationDetail(tx); !strings.Contains(d, "rolled back") {
		t.Errorf("transactional detail = %q", d)
	}
	if d := migrationDetail(partial); strings.Contains(d, "its changes were rolled back") || !strings.Contains(d, "partially applied (statements 1-2 of 4)") {
		t.Errorf("partial detail = %q", d)
	}
	wrapped := fmt.Errorf("target main: %w", partial)
	if n := interruptedNote(wrapped, 0, false); strings.Contains(n, "was rolled back") || !strings.Contains(n, "statements 1-2 of it stayed applied (not rolled back)") || !strings.Contains(n, "resume at statement 3") {
		t.Errorf("interrupted partial = %q", n)
	}
	if n := interruptedNote(tx, 0, true); !strings.Contains(n, "was rolled back") {
		t.Errorf("interrupted transactional = %q", n)
	}
	if n := interruptedNote(context.Canceled, 0, true); !strings.Contains(n, "nothing was applied") || strings.Contains(n, "rolled back") {
		t.Errorf("interrupted before migrating = %q", n)
	}
	if n := interruptedNote(context.Canceled, 3, true); !strings.Contains(n, "the 3 applied are kept") || strings.Contains(n, "rolled back") {
		t.Errorf("interrupted between migrations = %q", n)
	}
	if n := interruptedNote(context.Canceled, 0, false); strings.Contains(n, "rolled back") {
		t.Errorf("interrupted, no migration running = %q", n)
	}
}

func TestDescribeLeftover(t *testing.T) {
	a := engine.Action{Target: "main", Kind: "remove failed", Version: "2", Script: "V2__b.sql", Leftover: "statement 1 of db/V2__b.sql stayed applied and repair does not undo it"}
	if got := describe(a); !strings.Contains(got, "remove failed 2 (V2__b.sql)\n    warning: statement 1 of db/V2__b.sql stayed applied") {
		t.Errorf("describe = %q", got)
	}
}
