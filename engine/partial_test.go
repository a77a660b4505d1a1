package engine

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

func TestUndoHint(t *testing.T) {
	tests := map[string]string{
		"CREATE INDEX CONCURRENTLY ledger_idx ON ledger (acct)":         "DROP INDEX ledger_idx",
		"create unique index concurrently if not exists app.x_idx ON x": "DROP INDEX app.x_idx",
		"CREATE TABLE journey_log (n INTEGER)":                          "DROP TABLE journey_log",
		"CREATE MATERIALIZED VIEW mv AS SELECT 1":                       "DROP MATERIALIZED VIEW mv",
		"CREATE OR REPLACE FUNCTION f() RETURNS int":                    "DROP FUNCTION f",
		"INSERT INTO t VALUES (1)":                                      "",
		"ALTER TABLE t ADD COLUMN c int":                                "",
	}
	for in, want := range tests {
		if got := undoHint(in); got != want {
			t.Errorf("undoHint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFirstLineOf(t *testing.T) {
	tests := map[string]string{
		"-- why\n/* more */ CREATE INDEX x\n  ON t (a)": "CREATE INDEX x",
		"INSERT   INTO t\tVALUES (1)":                   "INSERT INTO t VALUES (1)",
		strings.Repeat("é", 100):                        strings.Repeat("é", 77) + "...",
		"-- only a comment":                             "-- only a comment",
	}
	for in, want := range tests {
		if got := firstLineOf(in); got != want {
			t.Errorf("firstLineOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSumsRoundTrip(t *testing.T) {
	in := []uint32{0, 1, 0xdeadbeef, 0xffffffff}
	if got := decodeSums(encodeSums(in)); len(got) != len(in) || got[2] != 0xdeadbeef || got[3] != 0xffffffff {
		t.Fatalf("round trip = %x", got)
	}
	if got := decodeSums("0000000a zz 0000000b"); len(got) != 1 {
		t.Fatalf("a damaged list counts up to the damage: %x", got)
	}
	if got := decodeSums(""); len(got) != 0 {
		t.Fatalf("empty = %x", got)
	}
}

// TestSpanIgnoresCarriageReturns: a statement's checksum does not change
// when the file's line endings do, and lines count "\r\n", "\n" and "\r".
func TestSpanIgnoresCarriageReturns(t *testing.T) {
	span := func(text string, from, to int64) (uint32, int, string) {
		t.Helper()
		s := &sourceReader{r: bufio.NewReader(strings.NewReader(text)), c: io.NopCloser(nil), line: 1}
		sum, line, head, err := s.span(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return sum, line, head
	}
	lf := "SELECT 1;\nCREATE INDEX a\nON t (x);\n"
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	s1, l1, h1 := span(lf, 10, int64(len(lf))-2)
	s2, l2, _ := span(crlf, 11, int64(len(crlf))-3)
	if s1 != s2 || l1 != 2 || l2 != 2 || h1 != "CREATE INDEX a\nON t (x)" {
		t.Fatalf("LF: %08x line %d %q; CRLF: %08x line %d", s1, l1, h1, s2, l2)
	}
	if _, l, _ := span("a\rb\r\nc\nd", 7, 8); l != 4 {
		t.Fatalf("line of d = %d, want 4", l)
	}
	other, _, _ := span("SELECT 1;\nCREATE INDEX b\nON t (x);\n", 10, int64(len(lf))-2)
	if other == s1 {
		t.Fatal("a changed statement kept its checksum")
	}
}
