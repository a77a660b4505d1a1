package engine

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stratadb/strata/internal/redact"
)

// TestMaskErr checks what WithSecrets masks in returned errors: the fields
// of the typed errors, each part of a join (whose shape callers rely on),
// and any other message, keeping errors.Is and errors.As working.
func TestMaskErr(t *testing.T) {
	m := &Migrator{secrets: redact.New("s3cret-value")}
	const s = "s3cret-value"
	exec := &ExecError{Statement: "SELECT '" + s + "'::int", Err: errors.New(`invalid input syntax for type integer: "` + s + `"`)}
	me := &MigrationError{Target: "t", Path: "db/V1__x.sql", Statement: exec.Statement, Detail: "d " + s, Hint: "h " + s, Advice: "a " + s,
		Partial: &PartialRun{Applied: 1, Statements: []StatementRef{{Number: 1, Text: "INSERT " + s}}, Changed: &StatementRef{Text: "x " + s}}, Err: exec}
	ve := &ValidationError{Findings: []Finding{{Target: "t", Message: "failed: " + s}}}
	plain := errors.New("untouched")
	joined := m.maskErr(errors.Join(me, ve, plain))

	j, ok := joined.(interface{ Unwrap() []error })
	if !ok || len(j.Unwrap()) != 3 {
		t.Fatalf("the join lost its shape: %T", joined)
	}
	if strings.Contains(joined.Error(), s) {
		t.Errorf("message shows the secret: %s", joined)
	}
	for _, f := range []string{me.Statement, me.Detail, me.Hint, me.Advice, me.Partial.Statements[0].Text, me.Partial.Changed.Text, ve.Findings[0].Message} {
		if strings.Contains(f, s) || !strings.Contains(f, redact.Mask) {
			t.Errorf("field not masked: %q", f)
		}
	}
	var got *ExecError
	if !errors.As(joined, &got) || got != exec {
		t.Error("the driver's error is not reachable with errors.As")
	}
	if j.Unwrap()[2] != plain {
		t.Error("an error without secret must be kept as it is")
	}
	wrapped := m.maskErr(errors.Join(errors.New("conn "+s), io.ErrUnexpectedEOF))
	if strings.Contains(wrapped.Error(), s) || !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Errorf("maskErr = %v, Is(EOF) = %v", wrapped, errors.Is(wrapped, io.ErrUnexpectedEOF))
	}
	if (&Migrator{}).maskErr(plain) != plain {
		t.Error("without secrets the error must be returned as it is")
	}
}
