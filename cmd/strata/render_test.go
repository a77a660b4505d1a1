package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine"
)

func TestRangeAt(t *testing.T) {
	src := []byte("SELECT 1;\nSELECT 'é' + x;\nlast")
	tests := []struct {
		line, col, byte int
	}{
		{1, 1, 0},
		{2, 1, 10},
		{2, 10, 20}, // 'é' is two bytes, one character
		{3, 4, 30},
		{2, 99, 26}, // past the end of line 2: stays on it
	}
	for _, tt := range tests {
		r := rangeAt("f.sql", src, tt.line, tt.col)
		if r.Start.Byte != tt.byte || r.Start.Line != tt.line || r.Start.Column != tt.col {
			t.Errorf("rangeAt(%d, %d) = %+v, want byte %d", tt.line, tt.col, r.Start, tt.byte)
		}
	}
}

// An error on the last line of a large file is located in one pass (the
// renderer used to copy the rest of the file for every line: a 50 MB
// file took over 15 minutes).
func TestRangeAtLargeFile(t *testing.T) {
	const lines = 200_000
	src := bytes.Repeat([]byte("INSERT INTO t VALUES (1, 'some text');\n"), lines)
	src = append(src, []byte("SELEC oops;")...)
	r := rangeAt("big.sql", src, lines+1, 5)
	if got := string(src[r.Start.Byte:r.End.Byte]); got != "C" {
		t.Fatalf("range points at %q, want C", got)
	}
	if !strings.HasPrefix(string(src[r.Start.Byte-4:]), "SELEC") {
		t.Fatal("wrong line")
	}
}

// TestLostConnectionWording: a migration cut off by a lost connection is
// never reported as FAILED or rolled back: the outcome is unknown when its
// COMMIT was sent, and it was not applied when it was not.
func TestLostConnectionWording(t *testing.T) {
	cause := errors.New("conn closed")
	unknown := &engine.MigrationError{Target: "app", Path: "db/V2__b.sql", Version: "2", StatementIndex: -1, ConnectionLost: true, OutcomeUnknown: true, Err: cause}
	notSent := &engine.MigrationError{Target: "app", Path: "db/V2__b.sql", Version: "2", StatementIndex: -1, ConnectionLost: true, Err: cause}
	failed := &engine.MigrationError{Target: "app", Path: "db/V2__b.sql", Version: "2", StatementIndex: -1, RolledBack: true, Err: cause}
	for _, c := range []struct {
		err          error
		word, detail string
	}{
		{unknown, "OUTCOME UNKNOWN", "outcome unknown. The connection was lost while it ran, after its COMMIT was sent"},
		{notSent, "NOT APPLIED (connection lost)", "was not applied: the connection was lost before its COMMIT was sent"},
		{failed, "FAILED", "failed; its changes were rolled back"},
	} {
		var me *engine.MigrationError
		errors.As(c.err, &me)
		if got := failedWord(fmt.Errorf("target app: %w", c.err)); got != c.word {
			t.Errorf("word %q, want %q", got, c.word)
		}
		if got := migrationDetail(me); !strings.Contains(got, c.detail) {
			t.Errorf("detail %q, want it to contain %q", got, c.detail)
		}
		if me.ConnectionLost && (strings.Contains(c.err.Error(), "rolled back and") || strings.Contains(migrationDetail(me), "rolled back and no history")) {
			t.Errorf("a lost connection reported as rolled back: %v", c.err)
		}
	}
	if s := unknown.Error(); !strings.Contains(s, "it may have been committed or rolled back; the next run reads the history and applies it only if it is not there") {
		t.Errorf("error text: %s", s)
	}
}

func TestSnippetLines(t *testing.T) {
	src := "one\ntwo\nthree\nfour\nfive\nsix\nseven"
	got, err := snippetLines(strings.NewReader(src), []int{4})
	if err != nil {
		t.Fatal(err)
	}
	// Lines 3-5 kept, the ones before empty, nothing after line 5.
	if want := "\n\nthree\nfour\nfive\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	got, _ = snippetLines(strings.NewReader(src), []int{7, 1})
	if want := "one\ntwo\n\n\n\nsix\nseven"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	long := strings.Repeat("x", 3*snippetLineBytes) + "\nend\n"
	got, _ = snippetLines(strings.NewReader(long), []int{1})
	if len(got) != snippetLineBytes+len("\nend\n") {
		t.Fatalf("a long line kept %d bytes, want it cut at %d", len(got), snippetLineBytes)
	}
}

// An error on the last line of a large file renders with its snippet,
// reading the file once and keeping only the lines shown.
func TestRenderErrorLargeFile(t *testing.T) {
	dir := t.TempDir()
	const lines = 300_000
	body := bytes.Repeat([]byte("INSERT INTO t VALUES (1, 'some text');\n"), lines)
	body = append(body, []byte("SELEC oops;\n")...)
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db", "V1__big.sql"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // paths in messages are relative to the working directory
	var stderr bytes.Buffer
	a := &app{stderr: &stderr, cfg: &config.Config{Dir: dir}}
	a.renderError(&engine.MigrationError{Target: "main", Path: "db/V1__big.sql", Version: "1", Line: lines + 1, Column: 1,
		StatementIndex: lines, Err: errors.New(`syntax error at or near "SELEC"`)})
	out := stderr.String()
	if !strings.Contains(out, fmt.Sprintf("db/V1__big.sql:%d:1", lines+1)) || !strings.Contains(out, "SELEC oops;") {
		t.Fatalf("rendered:\n%s", out)
	}
	if n := len(a.hclFiles["db/V1__big.sql"].Bytes); n > lines+100 {
		t.Fatalf("rendering kept %d bytes of a %d-byte file", n, len(body))
	}
}
