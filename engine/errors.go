package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinels for conditions callers branch on with errors.Is. The errors
// that match them are typed (LockError, ValidationError, LayoutError) and
// say more.
var (
	// ErrLocked: another process holds the lock of a target.
	ErrLocked = errors.New("engine: lock held by another process")
	// ErrChecksumMismatch: an applied migration's file changed since.
	ErrChecksumMismatch = errors.New("engine: checksum mismatch")
	// ErrLayoutTooNew: the database was written by a newer Strata.
	ErrLayoutTooNew = errors.New("engine: history layout is newer than this strata")
)

// LayoutError refuses Strata tables written with a layout newer than this
// version knows (see Layout): their columns may mean what this version
// cannot keep.
type LayoutError struct {
	Found, Known int
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("history layout is newer than this strata: the tables were written with layout %d and this strata knows layout %d; upgrade strata", e.Found, e.Known)
}

// Is makes errors.Is(err, ErrLayoutTooNew) true.
func (e *LayoutError) Is(target error) bool { return target == ErrLayoutTooNew }

// LockError is a lock that could not be taken in time.
type LockError struct {
	Target  string
	Timeout time.Duration
	Holder  string // who holds it, as far as the database tells
	busy    bool   // a single try failed: the target is visited again later
}

func (e *LockError) Error() string {
	msg := fmt.Sprintf("lock target %s: not acquired within %s", e.Target, e.Timeout)
	if e.Holder != "" {
		msg += ": held by " + e.Holder
	}
	return msg
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockError) Is(target error) bool { return target == ErrLocked }

// MigrationError is the failure of one migration on one target.
type MigrationError struct {
	Target         string
	Path           string // location/script of the file
	Version        string
	Description    string
	Line, Column   int    // in the file on disk, 0 when unknown
	Statement      string // the failing statement, when known
	StatementIndex int    // 0-based index in the file, -1 when unknown
	Code           string // database error code
	Detail, Hint   string
	RolledBack     bool // the migration's changes were rolled back
	// Partial is set for a file run statement by statement: the statements
	// before the failed one that stayed applied (they are not rolled back).
	Partial *PartialRun
	// Advice is the next step, when there is more to say than the above.
	Advice string
	// ConnectionLost: the connection broke while the migration ran (reset,
	// closed, or silent past the network timeout), so nothing more could
	// be done on it.
	ConnectionLost bool
	// OutcomeUnknown: the connection broke after the migration's COMMIT
	// was sent and before its answer came: the server may have committed
	// the migration and its history row, or rolled both back. The next
	// run reads the history and applies the migration only if it is not
	// there. Never set together with RolledBack.
	OutcomeUnknown bool
	// SentWith lists the migrations sent to the database in the same
	// request after this one (PostgreSQL sends small migrations several
	// at a time): with OutcomeUnknown, each of them may have been
	// committed or not as well.
	SentWith []string
	Err      error
}

// Outcome texts of a migration cut off by a lost connection.
const (
	outcomeUnknownText = "the connection was lost while the migration ran: it may have been committed or rolled back; the next run reads the history and applies it only if it is not there"
	notCommittedText   = "the connection was lost while the migration ran, before its COMMIT was sent: it was not committed (the server rolls it back when it notices); the next run applies it"
)

func (e *MigrationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apply %s (target %s)", e.Path, e.Target)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d, column %d", e.Line, e.Column)
	}
	switch {
	case e.OutcomeUnknown && e.StatementIndex >= 0:
		fmt.Fprintf(&b, ": the connection was lost while statement %d ran: it may have completed or not; the next run resumes after the last statement the history records as done (a statement run outside a transaction may run again)", e.StatementIndex+1)
	case e.OutcomeUnknown && len(e.SentWith) > 0:
		fmt.Fprintf(&b, ": %s; so may the %d migrations sent with it (%s)", outcomeUnknownText, len(e.SentWith), sentWith(e.SentWith))
	case e.OutcomeUnknown:
		fmt.Fprintf(&b, ": %s", outcomeUnknownText)
	case e.ConnectionLost && e.StatementIndex >= 0:
		fmt.Fprintf(&b, ": the connection was lost before statement %d was sent; the next run resumes at it", e.StatementIndex+1)
	case e.ConnectionLost:
		fmt.Fprintf(&b, ": %s", notCommittedText)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.Partial != nil {
		b.WriteString("\n" + partialText(e.Partial))
	}
	if e.Advice != "" {
		b.WriteString("\nnext: " + e.Advice)
	}
	return b.String()
}

func (e *MigrationError) Unwrap() error { return e.Err }

// sentWith names the scripts of MigrationError.SentWith, the first and
// the last of a long list.
func sentWith(scripts []string) string {
	if len(scripts) > 3 {
		return scripts[0] + " to " + scripts[len(scripts)-1]
	}
	return strings.Join(scripts, ", ")
}

// Finding is one problem validate found.
type Finding struct {
	Target      string
	Code        string // Flyway's error code: CHECKSUM_MISMATCH, FAILED_VERSIONED_MIGRATION, ...
	Version     string
	Description string
	Script      string
	Message     string
}

// ValidationError lists what validation found.
type ValidationError struct {
	Findings []Finding
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "validate: %d problem", len(e.Findings))
	if len(e.Findings) != 1 {
		b.WriteString("s")
	}
	for _, f := range e.Findings {
		fmt.Fprintf(&b, "\n  - target %s: %s", f.Target, strings.ReplaceAll(f.Message, "\n", "\n    "))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrChecksumMismatch) true when a checksum differs.
func (e *ValidationError) Is(target error) bool {
	if target != ErrChecksumMismatch {
		return false
	}
	for _, f := range e.Findings {
		if f.Code == "CHECKSUM_MISMATCH" {
			return true
		}
	}
	return false
}

// OrderError refuses pending versions below the highest applied one.
type OrderError struct {
	Items []OrderItem
}

// OrderItem is one version that would be applied out of order.
type OrderItem struct {
	Target  string
	Path    string
	Version string
	Highest string // the highest applied version on the target
}

func (e *OrderError) Error() string {
	var b strings.Builder
	b.WriteString("refusing to apply out of order:")
	for _, it := range e.Items {
		fmt.Fprintf(&b, "\n  - %s (version %s) on target %s, which is already at version %s", it.Path, it.Version, it.Target, it.Highest)
	}
	b.WriteString("\n" + advise(AdviceOutOfOrder))
	return b.String()
}

// RawTenantError refuses, before anything runs, a file that inserts a
// tenant name unquoted (${strata:tenant}, ${flyway:defaultSchema}) for a
// tenant whose name needs quoting.
type RawTenantError struct {
	Path   string
	Tenant string
}

func (e *RawTenantError) Error() string {
	return fmt.Sprintf("%s uses a raw tenant placeholder (${strata:tenant} or ${flyway:defaultSchema}), which would insert the tenant name %q unquoted: use ${strata:schema}, which quotes it", e.Path, e.Tenant)
}

// PlaceholderError lists undefined placeholders of the pending files.
type PlaceholderError struct {
	Items []PlaceholderProblem
}

// PlaceholderProblem is one undefined placeholder in one file.
type PlaceholderProblem struct {
	Target       string
	Path         string
	Name         string
	Line, Column int
}

func (e *PlaceholderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d undefined placeholder", len(e.Items))
	if len(e.Items) != 1 {
		b.WriteString("s")
	}
	for _, it := range e.Items {
		fmt.Fprintf(&b, "\n  %s:%d:%d: undefined placeholder %s (target %s)", it.Path, it.Line, it.Column, it.Name, it.Target)
	}
	b.WriteString("\n" + advise(AdviceDefinePlaceholder))
	return b.String()
}

// NonEmptySchemaError refuses to migrate a target whose schema holds
// objects but which has no history (Flyway's "non-empty schema without
// schema history table"): running every migration from the first over
// existing objects can overwrite newer ones (CREATE OR REPLACE, CREATE
// ... IF NOT EXISTS) before one fails.
type NonEmptySchemaError struct {
	Target      string
	Schema      string
	Objects     []string // a few of the objects found, "kind name"
	FlywayTable string   // a Flyway history table found in the schema, "" when none
}

func (e *NonEmptySchemaError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "target %s: schema %s holds objects (%s) but has no migration history: refusing to run the migrations from the first version over them; nothing was applied", e.Target, e.Schema, strings.Join(e.Objects, ", "))
	if e.FlywayTable != "" {
		fmt.Fprintf(&b, "\na Flyway history table is here (%s): %s, which records what Flyway applied without running anything", e.FlywayTable, advise(AdviceAdoptFlyway))
	}
	b.WriteString("\nif the schema already holds what the migrations up to some version create, " + advise(AdviceBaseline) + ", and migrate applies only what comes after")
	return b.String()
}

// maskErr masks the secrets of WithSecrets in err: in place in the fields
// of the typed errors that carry server text (*MigrationError,
// *CallbackError, *ValidationError), part by part in an errors.Join, and
// otherwise by wrapping err when its message holds a secret. An error
// without secrets is returned as it is, so its type is kept.
func (m *Migrator) maskErr(err error) error {
	if err == nil || m.secrets.Empty() {
		return err
	}
	switch e := err.(type) {
	case *MigrationError:
		e.Statement, e.Detail, e.Hint = m.secrets.String(e.Statement), m.secrets.String(e.Detail), m.secrets.String(e.Hint)
		e.Advice = m.secrets.String(e.Advice)
		m.maskPartial(e.Partial)
		e.Err = m.maskErr(e.Err)
		return e
	case *CallbackError:
		e.Statement, e.Detail, e.Hint = m.secrets.String(e.Statement), m.secrets.String(e.Detail), m.secrets.String(e.Hint)
		e.Err = m.maskErr(e.Err)
		return e
	case *ValidationError:
		for i := range e.Findings {
			e.Findings[i].Message = m.secrets.String(e.Findings[i].Message)
		}
		return e
	case interface{ Unwrap() []error }:
		parts := e.Unwrap()
		if texts := make([]string, len(parts)); len(parts) > 0 {
			for i, p := range parts {
				texts[i] = p.Error()
			}
			if strings.Join(texts, "\n") == err.Error() { // an errors.Join: keep its shape
				masked := make([]error, len(parts))
				for i, p := range parts {
					masked[i] = m.maskErr(p)
				}
				return errors.Join(masked...)
			}
		}
	}
	return m.secrets.Error(err)
}

// maskPartial masks the secrets of WithSecrets in the statement texts of p.
func (m *Migrator) maskPartial(p *PartialRun) {
	if p == nil || m.secrets.Empty() {
		return
	}
	for i := range p.Statements {
		p.Statements[i].Text = m.secrets.String(p.Statements[i].Text)
	}
	if p.Changed != nil {
		p.Changed.Text = m.secrets.String(p.Changed.Text)
	}
}

// mask masks the secrets of WithSecrets in s.
func (m *Migrator) mask(s string) string { return m.secrets.String(s) }
