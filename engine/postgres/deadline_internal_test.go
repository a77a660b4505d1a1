package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

type safe struct{ error }

func (safe) SafeToRetry() bool { return true }
func (s safe) Unwrap() error   { return s.error }

func TestConnectionLostClassification(t *testing.T) {
	for _, c := range []struct {
		name       string
		err        error
		lost, sent bool
	}{
		{"statement error", &pgconn.PgError{Severity: "ERROR", Code: "22P02"}, false, true},
		{"fatal during the request", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true, true},
		{"eof while reading", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true, true},
		{"probe gave up", &LostError{Reason: "x"}, true, true},
		{"closed before sending", safe{pgconn.ErrConnClosed}, true, false},
		{"closed while waiting", &brokeError{err: safe{pgconn.ErrConnClosed}}, true, true},
		{"cancelled before sending", safe{context.Canceled}, false, false},
		{"cancelled, connection closed after the request", context.Canceled, true, true},
		{"other", errors.New("conn busy"), false, false},
	} {
		lost, sent := connectionLost(c.err)
		if lost != c.lost || sent != c.sent {
			t.Errorf("%s: lost %v sent %v, want %v %v", c.name, lost, sent, c.lost, c.sent)
		}
	}
}
