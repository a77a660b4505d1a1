package main

import (
	"context"
	"errors"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// Exit codes, documented in the package comment and the README.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitValidation  = 3
	exitLocked      = 4
	exitUnreachable = 5
	exitInterrupted = 130
)

// exitError carries an exit code with an error that has already been
// rendered (or needs none).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return "exit status"
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// errUnreachable marks failures to reach the database.
var errUnreachable = errors.New("database unreachable")

// codeOf maps an error to an exit code.
func codeOf(err error) int {
	var ee *exitError
	var ve *engine.ValidationError
	var oe *engine.OrderError
	var pe *engine.PlaceholderError
	var ue *placeholders.UndefinedError
	var de *locations.DuplicateError
	var ne *locations.NamingError
	var dire *locations.DirectiveError
	var ence *locations.EncodingError
	var uoe *locations.UndoOverrideError
	var me *engine.MigrationError
	var rte *engine.RawTenantError
	var nee *engine.NonEmptySchemaError
	var le *engine.LimitError
	var te *schemas.TenantError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &me):
		return exitFailed // a failed migration outranks what other targets report
	case errors.Is(err, engine.ErrLocked):
		return exitLocked
	case errors.Is(err, errUnreachable):
		return exitUnreachable
	case errors.As(err, &ve), errors.As(err, &oe), errors.As(err, &pe), errors.As(err, &ue), errors.As(err, &rte), errors.As(err, &nee):
		return exitValidation
	case errors.As(err, &de), errors.As(err, &ne), errors.As(err, &dire), errors.As(err, &ence), errors.As(err, &uoe),
		errors.As(err, &le), errors.As(err, &te):
		return exitUsage
	}
	return exitFailed
}
