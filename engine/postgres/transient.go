package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// transientCodes are the SQLSTATEs of failures that may not happen again:
// serialization_failure, deadlock_detected, lock_not_available (a
// lock_timeout) and admin_shutdown (the server, or an administrator with
// pg_terminate_backend, ended the session).
var transientCodes = map[string]bool{"40001": true, "40P01": true, "55P03": true, "57P01": true}

// IsTransient implements engine.TransientErrors.
func (Dialect) IsTransient(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && transientCodes[pe.Code]
}
