package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/placeholders"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"lock", fmt.Errorf("target main: %w", &engine.LockError{Target: "main"}), exitLocked},
		{"validation", &engine.ValidationError{Findings: []engine.Finding{{Code: "CHECKSUM_MISMATCH"}}}, exitValidation},
		{"order", &engine.OrderError{}, exitValidation},
		{"placeholders", &engine.PlaceholderError{}, exitValidation},
		{"undefined", fmt.Errorf("x: %w", &placeholders.UndefinedError{}), exitValidation},
		{"unreachable", fmt.Errorf("%w: dial", errUnreachable), exitUnreachable},
		{"login refused", fmt.Errorf("%w: 28P01", errAuth), exitAuth},
		{"no database", fmt.Errorf("%w: 3D000", errNoDatabase), exitNoDatabase},
		{"unknown tenant", fmt.Errorf("env pg: tenant filter: zz not among the 2 tenants"), exitUsage},
		{"interrupted", fmt.Errorf("stopped: %w", context.Canceled), exitInterrupted},
		{"migration", &engine.MigrationError{Err: errors.New("boom")}, exitFailed},
		{"explicit", &exitError{code: exitUsage}, exitUsage},
		{"joined targets", errors.Join(&engine.MigrationError{Err: errors.New("a")}, &engine.LockError{}), exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codeOf(tt.err); got != tt.want {
				t.Fatalf("codeOf(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
