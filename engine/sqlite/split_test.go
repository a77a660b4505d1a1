package sqlite

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/scan"
	"github.com/stratadb/strata/engine/internal/splittest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestSplit(t *testing.T) {
	type st = Statement
	trigger := "CREATE TRIGGER t_audit AFTER UPDATE ON t FOR EACH ROW BEGIN\n" +
		"  INSERT INTO audit VALUES (old.id, CASE WHEN new.x > 0 THEN 'up' ELSE 'down' END);\n" +
		"  UPDATE t SET n = n + 1 WHERE id = new.id;\n" +
		"END"
	tests := []struct {
		name string
		src  string
		want []Statement
	}{
		{"empty", "", nil},
		{"whitespace only", " \n\t\r\n", nil},
		{"comment only", "-- nothing here\n/* nor here; */\n", nil},
		{"lone semicolons", ";;\n ; ", nil},
		{"one statement", "SELECT 1;", []st{{Text: "SELECT 1", Line: 1}}},
		{"no final semicolon", "SELECT 1;\nSELECT 2", []st{{Text: "SELECT 1", Line: 1}, {Text: "SELECT 2", Line: 2}}},
		{"no final semicolon trailing comment", "SELECT 1\n-- done", []st{{Text: "SELECT 1", Line: 1}}},
		{"leading comments are not text", "-- c1\n/* c2 */ SELECT 1;", []st{{Text: "SELECT 1", Line: 2}}},
		{"inner comments are kept", "SELECT 1 -- one;\n + 2 /* two; */;", []st{{Text: "SELECT 1 -- one;\n + 2", Line: 1}}},
		{"comments do not nest", "SELECT /* a /* b */ 1; */", []st{{Text: "SELECT /* a /* b */ 1"}, {Text: "*/"}}},
		{"byte order mark", "\ufeffSELECT 1;", []st{{Text: "SELECT 1"}}},
		{"string", "SELECT 'a;b', 'it''s;';SELECT 2", []st{{Text: "SELECT 'a;b', 'it''s;'"}, {Text: "SELECT 2"}}},
		{"backslash is not an escape", `SELECT 'a\';SELECT 2`, []st{{Text: `SELECT 'a\'`}, {Text: "SELECT 2"}}},
		{"double-quoted identifier", `SELECT 1 AS "a;""b";`, []st{{Text: `SELECT 1 AS "a;""b"`}}},
		{"backtick identifier", "SELECT 1 AS `a;``b`;", []st{{Text: "SELECT 1 AS `a;``b`"}}},
		{"bracket identifier", "SELECT 1 AS [a;b];SELECT 2", []st{{Text: "SELECT 1 AS [a;b]"}, {Text: "SELECT 2"}}},
		{"bracket identifier has no escape", "SELECT [a]];", []st{{Text: "SELECT [a]]"}}},
		{"blob literal", "SELECT x'00;ff';", []st{{Text: "SELECT x'00;ff'"}}},
		{"dollar is an identifier character", "SELECT $a;SELECT 2", []st{{Text: "SELECT $a"}, {Text: "SELECT 2"}}},
		{"lines", "\n\nSELECT 1;\n\n  SELECT\n2;", []st{{Text: "SELECT 1", Line: 3}, {Text: "SELECT\n2", Line: 5}}},
		{"crlf", "SELECT 1;\r\nSELECT 2;\r\n", []st{{Text: "SELECT 1", Line: 1}, {Text: "SELECT 2", Line: 2}}},

		// triggers
		{"trigger", trigger + ";\nSELECT 1;", []st{{Text: trigger, Line: 1}, {Text: "SELECT 1", Line: 5}}},
		{"trigger without final semicolon", trigger, []st{{Text: trigger}}},
		{"temp trigger if not exists", "create temp trigger if not exists t before delete on x begin select raise(abort, 'no; way'); end; select 1",
			[]st{{Text: "create temp trigger if not exists t before delete on x begin select raise(abort, 'no; way'); end"}, {Text: "select 1"}}},
		{"temporary trigger", "CREATE TEMPORARY TRIGGER t AFTER INSERT ON x BEGIN DELETE FROM y; END;",
			[]st{{Text: "CREATE TEMPORARY TRIGGER t AFTER INSERT ON x BEGIN DELETE FROM y; END"}}},
		{"trigger with comment before end", "CREATE TRIGGER t AFTER INSERT ON x BEGIN DELETE FROM y; /* c; */ -- d;\nEND;",
			[]st{{Text: "CREATE TRIGGER t AFTER INSERT ON x BEGIN DELETE FROM y; /* c; */ -- d;\nEND"}}},
		{"trigger case end", "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET a = CASE new.b WHEN 1 THEN 2 END; UPDATE y SET c = CASE WHEN 1 THEN 2 END\n; END;SELECT 1",
			[]st{{Text: "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET a = CASE new.b WHEN 1 THEN 2 END; UPDATE y SET c = CASE WHEN 1 THEN 2 END\n; END"}, {Text: "SELECT 1"}}},
		{"explain create trigger", "EXPLAIN QUERY PLAN CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;",
			[]st{{Text: "EXPLAIN QUERY PLAN CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END"}}},
		{"trigger words elsewhere", "CREATE TABLE trigger_log (x);CREATE VIEW v AS SELECT 1 AS \"trigger\";SELECT 2",
			[]st{{Text: "CREATE TABLE trigger_log (x)"}, {Text: "CREATE VIEW v AS SELECT 1 AS \"trigger\""}, {Text: "SELECT 2"}}},
		{"create then trigger later", "CREATE TABLE t (trigger);SELECT 1", []st{{Text: "CREATE TABLE t (trigger)"}, {Text: "SELECT 1"}}},

		// classification
		{"begin", "BEGIN;", []st{{Text: "BEGIN", Tx: engine.TxBegin}}},
		{"begin immediate transaction", "begin immediate transaction;", []st{{Text: "begin immediate transaction", Tx: engine.TxBegin}}},
		{"begin exclusive", "BEGIN EXCLUSIVE;", []st{{Text: "BEGIN EXCLUSIVE", Tx: engine.TxBegin}}},
		{"commit", "COMMIT TRANSACTION;", []st{{Text: "COMMIT TRANSACTION", Tx: engine.TxCommit}}},
		{"end", "END;", []st{{Text: "END", Tx: engine.TxCommit}}},
		{"end transaction", "end transaction;", []st{{Text: "end transaction", Tx: engine.TxCommit}}},
		{"rollback", "ROLLBACK;", []st{{Text: "ROLLBACK", Tx: engine.TxEnd}}},
		{"rollback to", "ROLLBACK TO sp;", []st{{Text: "ROLLBACK TO sp"}}},
		{"rollback transaction to savepoint", "ROLLBACK TRANSACTION TO SAVEPOINT sp;", []st{{Text: "ROLLBACK TRANSACTION TO SAVEPOINT sp"}}},
		{"savepoint and release", "SAVEPOINT sp; RELEASE sp;", []st{{Text: "SAVEPOINT sp"}, {Text: "RELEASE sp"}}},
		{"comment before begin", "-- open\nBEGIN;", []st{{Text: "BEGIN", Line: 2, Tx: engine.TxBegin}}},
		{"begin deferred", "BEGIN DEFERRED TRANSACTION;", []st{{Text: "BEGIN DEFERRED TRANSACTION", Tx: engine.TxBegin}}},
		{"begin transaction after comment", "-- open it\nBEGIN TRANSACTION", []st{{Text: "BEGIN TRANSACTION", Line: 2, Tx: engine.TxBegin}}},
		{"commit after comment", "/* done */ COMMIT", []st{{Text: "COMMIT", Tx: engine.TxCommit}}},
		{"rollback transaction", "ROLLBACK TRANSACTION;", []st{{Text: "ROLLBACK TRANSACTION", Tx: engine.TxEnd}}},
		{"end of case is not transaction control", "SELECT CASE WHEN 1 THEN 2 END;", []st{{Text: "SELECT CASE WHEN 1 THEN 2 END"}}},
		{"script of its own transaction", "BEGIN IMMEDIATE;\nUPDATE t SET a = 1;\nEND TRANSACTION;",
			[]st{{Text: "BEGIN IMMEDIATE", Tx: engine.TxBegin}, {Text: "UPDATE t SET a = 1", Line: 2}, {Text: "END TRANSACTION", Line: 3, Tx: engine.TxCommit}}},
		{"trigger then commit", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE WHEN 1 THEN 2 END; END;\nCOMMIT;",
			[]st{{Text: "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE WHEN 1 THEN 2 END; END"}, {Text: "COMMIT", Line: 2, Tx: engine.TxCommit}}},
		{"pragma foreign_keys", "PRAGMA foreign_keys = OFF;", []st{{Text: "PRAGMA foreign_keys = OFF", NoTx: true}}},
		{"pragma foreign_keys lower case", "pragma foreign_keys=on;", []st{{Text: "pragma foreign_keys=on", NoTx: true}}},
		{"pragma foreign_keys call form", "PRAGMA foreign_keys(0);", []st{{Text: "PRAGMA foreign_keys(0)", NoTx: true}}},
		{"pragma foreign_keys with schema", "PRAGMA main.foreign_keys = 0;", []st{{Text: "PRAGMA main.foreign_keys = 0", NoTx: true}}},
		{"pragma foreign_keys query", "PRAGMA foreign_keys;", []st{{Text: "PRAGMA foreign_keys"}}},
		{"pragma journal_mode", "PRAGMA journal_mode = WAL;", []st{{Text: "PRAGMA journal_mode = WAL", NoTx: true}}},
		{"pragma foreign_key_check", "PRAGMA foreign_key_check;", []st{{Text: "PRAGMA foreign_key_check"}}},
		{"pragma defer_foreign_keys", "PRAGMA defer_foreign_keys = ON;", []st{{Text: "PRAGMA defer_foreign_keys = ON"}}},
		{"vacuum", "VACUUM;", []st{{Text: "VACUUM", NoTx: true}}},
		{"vacuum into", "VACUUM INTO 'backup.db';", []st{{Text: "VACUUM INTO 'backup.db'", NoTx: true}}},
		{"begin inside trigger is not transaction control", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;",
			[]st{{Text: "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.src)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			harness.CheckStatements(t, tt.src, got)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d statements, want %d:\n%s", len(got), len(tt.want), format(got, nil))
			}
			for i, w := range tt.want {
				g := got[i]
				if w.Line == 0 {
					w.Line = g.Line // not checked
				}
				w.Offset = g.Offset // checked by checkStatements
				w.TxControl = w.Tx != engine.TxNone
				if g != w {
					t.Errorf("statement %d:\n got  %s %v\n want %s %v", i+1, format([]Statement{g}, nil), g.Tx, format([]Statement{w}, nil), w.Tx)
				}
			}
			harness.CheckChunked(t, tt.src)
		})
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		before int   // statements returned before the error
		line   int   // SplitError.Line
		offset int64 // SplitError.Offset
		msg    string
	}{
		{"unterminated string", "SELECT 1;\nSELECT 'abc;\n", 1, 2, 17, "unterminated quoted string"},
		{"unterminated identifier", `SELECT "abc`, 0, 1, 7, "unterminated quoted identifier"},
		{"unterminated backtick identifier", "SELECT `abc", 0, 1, 7, "unterminated quoted identifier"},
		{"unterminated bracket identifier", "SELECT [abc", 0, 1, 7, "unterminated [identifier]"},
		{"unterminated comment in statement", "SELECT 1 /* x", 0, 1, 9, "unterminated /* comment"},
		{"unterminated comment between statements", "SELECT 1;\n\n/* x\n", 1, 3, 11, "unterminated /* comment"},
		{"trigger without end", "SELECT 1;\nCREATE TRIGGER t AFTER INSERT ON x BEGIN\nSELECT 1;\nSELECT 2;\n", 1, 2, 10,
			"CREATE TRIGGER without END: the statement runs to the end of the input"},
		{"trigger without end after begin", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1", 0, 1, 0,
			"CREATE TRIGGER without END: the statement runs to the end of the input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.src)
			var se *SplitError
			if !errors.As(err, &se) {
				t.Fatalf("Split error = %v, want a *SplitError", err)
			}
			if len(got) != tt.before {
				t.Errorf("got %d statements before the error, want %d", len(got), tt.before)
			}
			if se.Line != tt.line || se.Offset != tt.offset || se.Msg != tt.msg {
				t.Errorf("error = %+v, want line %d offset %d msg %q", *se, tt.line, tt.offset, tt.msg)
			}
			if want := fmt.Sprintf("line %d: %s", tt.line, tt.msg); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			harness.CheckChunked(t, tt.src)
		})
	}
}

func TestSplitterStickyError(t *testing.T) {
	s := NewSplitter(strings.NewReader("SELECT 'x"))
	_, err1 := s.Next()
	_, err2 := s.Next()
	if err1 == nil || err1 != err2 {
		t.Fatalf("errors = %v, %v; want the same non-nil error twice", err1, err2)
	}
	s = NewSplitter(strings.NewReader("SELECT 1"))
	s.Next()
	for range 2 {
		if _, err := s.Next(); err != io.EOF {
			t.Fatalf("Next at end = %v, want io.EOF", err)
		}
	}
}

func TestSplitterReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, src := range []string{"SELECT 1; SELECT 'abc", "SELECT 1; SELECT 2", "SELECT 1; /* x"} {
		t.Run(src, func(t *testing.T) {
			r := io.MultiReader(strings.NewReader(src), iotest.ErrReader(boom))
			_, err := splitAll(NewSplitter(r))
			if !errors.Is(err, boom) {
				t.Fatalf("error = %v, want it to wrap %v", err, boom)
			}
		})
	}
}

// TestSplitLongTokens reads tokens far longer than the read buffer one byte
// at a time. Rescanning a token on every read would make this quadratic.
func TestSplitLongTokens(t *testing.T) {
	const n = 256 << 10
	r := strings.Repeat
	tests := []struct{ name, src string }{
		{"string", "SELECT '" + r("a''", n/3) + "';"},
		{"comment", "/*" + r("*", n) + "/ SELECT 1;"},
		{"comment in statement", "SELECT /*" + r("*", n) + "/ 1;"},
		{"bracket identifier", "SELECT [" + r("[", n) + "];"},
		{"word", "SELECT " + r("a", n) + ";"},
		{"trigger", "CREATE TRIGGER t AFTER INSERT ON x BEGIN " + r("SELECT 1;", n/9) + " END;"},
		{"semicolons", r(";", n)},
		{"line comments", r("-- x\n", n/5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { harness.CheckOneByte(t, tt.src) })
	}
}

func TestSplitGolden(t *testing.T) {
	harness.Golden(t, *update)
}

// format renders statements and a final error for golden files and messages.
func format(stmts []Statement, err error) string {
	var b strings.Builder
	for i, st := range stmts {
		var flags []string
		if st.NoTx {
			flags = append(flags, "notx")
		}
		if st.TxControl {
			flags = append(flags, "txcontrol")
		}
		if len(flags) == 0 {
			flags = []string{"-"}
		}
		fmt.Fprintf(&b, "-- [%d] offset=%d line=%d flags=%s\n%s\n", i+1, st.Offset, st.Line, strings.Join(flags, ","), st.Text)
	}
	if err != nil {
		fmt.Fprintf(&b, "-- error: %v\n", err)
	}
	return b.String()
}

// harness holds the checks every splitter's tests share.
var harness = splittest.Harness[Statement]{
	Noun:   "statement",
	Nouns:  "statements",
	Split:  Split,
	Read:   func(r io.Reader) ([]Statement, error) { return splitAll(NewSplitter(r)) },
	Format: format,
	Span: func(st Statement) splittest.Span {
		return splittest.Span{Text: st.Text, Offset: st.Offset, Line: st.Line}
	},
	Tx: func(st Statement) (bool, engine.TxEffect) { return st.TxControl, st.Tx },
}

func splitAll(s *Splitter) ([]Statement, error) { return scan.Split[Statement](s) }

func FuzzSplit(f *testing.F) {
	seeds := []string{
		"SELECT 1; SELECT 'a;b'; SELECT [x;]",
		"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE WHEN 1 THEN 2 END; END;",
		"EXPLAIN CREATE TEMP TRIGGER t BEGIN ; END",
		"SELECT `a``b`;/* x */ -- y\n",
		"\ufeffBEGIN; PRAGMA main.foreign_keys=OFF; COMMIT",
	}
	splittest.AddSeeds(f, seeds...)
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Split(src)
		splittest.CheckSplitError(t, src, err, func(se *SplitError) (int64, int) { return se.Offset, se.Line })
		harness.CheckStatements(t, src, stmts)
		harness.CheckChunked(t, src)
	})
}

// newInsertReader generates INSERT statements, about size bytes.
func newInsertReader(size int64) *splittest.BlockReader {
	var b bytes.Buffer
	for i := range 50 {
		b.WriteString("INSERT INTO events (id, kind, payload) VALUES\n")
		for j := range 20 {
			if j > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, "  (%d, 'click', '{\"x\": %d, \"note\": \"it''s; fine\"}')", i*20+j, j)
		}
		b.WriteString(";\n-- batch done\n")
	}
	return splittest.NewBlockReader(b.Bytes(), size) // whole statements only
}

// TestSplitLargeInputMemory splits 20 MB of generated statements and checks
// that the live heap stays far below that.
func TestSplitLargeInputMemory(t *testing.T) {
	const size = 20 << 20
	harness.CheckLargeInput(t, size, func() (*splittest.BlockReader, func() (Statement, error)) {
		r := newInsertReader(size)
		return r, NewSplitter(r).Next
	})
}

func BenchmarkSplit(b *testing.B) {
	size := newInsertReader(50 << 20).Size
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		s := NewSplitter(newInsertReader(size))
		for {
			_, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
