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
	exitAuth        = 6 // the server refused the login or its authorisation
	exitNoDatabase  = 7 // the server answered, but the url's database does not exist
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

// errAuth marks a server that answered and refused the login (a wrong
// password, a role that does not exist) or the right to connect: trying
// again gives the same answer, so it is not exitUnreachable.
var errAuth = errors.New("login refused")

// errNoDatabase marks a server that answered and has no database of the
// url's name.
var errNoDatabase = errors.New("database does not exist")

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
	var ack *locations.AckError
	var sum *locations.SumError
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
	case errors.Is(err, errAuth):
		return exitAuth
	case errors.Is(err, errNoDatabase):
		return exitNoDatabase
	case errors.Is(err, errUnreachable):
		return exitUnreachable
	case unknownTenant(err):
		return exitUsage
	case isLintFailed(err):
		return exitValidation
	case errors.As(err, &ve), errors.As(err, &oe), errors.As(err, &pe), errors.As(err, &ue), errors.As(err, &rte), errors.As(err, &nee),
		errors.As(err, &ack), errors.As(err, &sum):
		return exitValidation
	case errors.As(err, &de), errors.As(err, &ne), errors.As(err, &dire), errors.As(err, &ence), errors.As(err, &uoe),
		errors.As(err, &le), errors.As(err, &te):
		return exitUsage
	}
	return exitFailed
}

// unknownTenant reports whether err is the engine's refusal of a --tenant
// (or clean --tenant) that is not one of the env's tenants: a usage error.
// The engine gives it no type, so its advice phrase is what is recognised.
func unknownTenant(err error) bool {
	msg := err.Error()
	mark := "\x00unknown tenant\x00"
	return engine.RewriteAdvice(msg, func(a engine.Advice) (string, bool) {
		return mark, a == engine.AdviceTenantFilter || a == engine.AdviceCleanTenantUnknown
	}) != msg
}

// loginFailure classifies a connection error that is not worth trying
// again: errAuth for a refused login or connect privilege (PostgreSQL
// SQLSTATE 28P01, 28000, 42501; SQL Server error 18456), errNoDatabase for
// a database that does not exist (PostgreSQL 3D000; SQL Server 4060, which
// also says the login may not open it; MySQL 1049), nil otherwise. MySQL's
// refusals are 1045, 1044 and 1698.
func loginFailure(err error) error {
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "28P01", "28000", "42501":
			return errAuth
		case "3D000":
			return errNoDatabase
		}
	}
	var mysqlNumbered interface{ MySQLErrorNumber() uint16 }
	if errors.As(err, &mysqlNumbered) {
		switch mysqlNumbered.MySQLErrorNumber() {
		case 1044, 1045, 1698:
			return errAuth
		case 1049:
			return errNoDatabase
		}
	}
	var numbered interface{ SQLErrorNumber() int32 }
	if errors.As(err, &numbered) {
		switch numbered.SQLErrorNumber() {
		case 18456:
			return errAuth
		case 4060:
			return errNoDatabase
		}
	}
	return nil
}

// isLintFailed reports error-level lint findings: exit 3, as validate.
func isLintFailed(err error) bool {
	var lf *lintFailed
	return errors.As(err, &lf)
}
