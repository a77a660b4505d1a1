package mysql

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
	tests := []struct {
		name string
		src  string
		want []Statement
	}{
		{"empty", "", nil},
		{"whitespace only", " \n\t\r\n", nil},
		{"comments only", "-- nothing\n# nor\n/* here */;\n;;\n", nil},
		{"one", "SELECT 1", []st{{Text: "SELECT 1"}}},
		{"two", "SELECT 1;\nSELECT 2;\n", []st{{Text: "SELECT 1"}, {Text: "SELECT 2", Line: 2}}},
		{"empty statements skipped", ";;SELECT 1;;;SELECT 2", []st{{Text: "SELECT 1"}, {Text: "SELECT 2"}}},
		{"comments before and after are not kept", "-- a\n/* b */ SELECT 1 /* c */ -- d\n;", []st{{Text: "SELECT 1", Line: 2}}},
		{"comments inside are kept", "SELECT 1 /* ; */ + -- ;\n 2", []st{{Text: "SELECT 1 /* ; */ + -- ;\n 2"}}},
		{"hash comment", "SELECT 1 # ; not here\n, 2;", []st{{Text: "SELECT 1 # ; not here\n, 2"}}},
		{"dash dash needs a blank", "SELECT 1--1;\nSELECT 2", []st{{Text: "SELECT 1--1"}, {Text: "SELECT 2", Line: 2}}},
		{"dash dash tab", "SELECT 1 --\t;\n;", []st{{Text: "SELECT 1"}}},
		{"dash dash at end", "SELECT 1 --", []st{{Text: "SELECT 1"}}},
		{"dash dash newline", "SELECT 1 --\n;", []st{{Text: "SELECT 1"}}},
		{"block comments do not nest", "SELECT 1 /* /* */; SELECT 2", []st{{Text: "SELECT 1"}, {Text: "SELECT 2"}}},
		{"string with semicolon", "SELECT 'a;b'; SELECT 2", []st{{Text: "SELECT 'a;b'"}, {Text: "SELECT 2"}}},
		{"backslash escape", `SELECT 'it\'s;'; SELECT 2`, []st{{Text: `SELECT 'it\'s;'`}, {Text: "SELECT 2"}}},
		{"backslash backslash", `SELECT '\\'; SELECT 2`, []st{{Text: `SELECT '\\'`}, {Text: "SELECT 2"}}},
		{"doubled quote", "SELECT 'it''s;'; SELECT 2", []st{{Text: "SELECT 'it''s;'"}, {Text: "SELECT 2"}}},
		{"double quoted string", `SELECT "a;\"b"";"; SELECT 2`, []st{{Text: `SELECT "a;\"b"";"`}, {Text: "SELECT 2"}}},
		{"backticks", "CREATE TABLE `a;``b` (`c\\` INT); SELECT 2", []st{{Text: "CREATE TABLE `a;``b` (`c\\` INT)", NoTx: true}, {Text: "SELECT 2"}}},
		{"quotes in backticks", "SELECT `it's`; SELECT '`'; SELECT 3", []st{{Text: "SELECT `it's`"}, {Text: "SELECT '`'"}, {Text: "SELECT 3"}}},
		{"comment markers in strings", "SELECT '-- ', '#', '/*'; SELECT 2", []st{{Text: "SELECT '-- ', '#', '/*'"}, {Text: "SELECT 2"}}},
		{"conditional comment is code", "/*!40101 SET NAMES utf8mb4 */;\n/*!40000 ALTER TABLE t DISABLE KEYS */;",
			[]st{{Text: "/*!40101 SET NAMES utf8mb4 */"}, {Text: "/*!40000 ALTER TABLE t DISABLE KEYS */", Line: 2, NoTx: true}}},
		{"mariadb conditional comment", "/*M!100100 CREATE SEQUENCE s */; SELECT 1", []st{{Text: "/*M!100100 CREATE SEQUENCE s */", NoTx: true}, {Text: "SELECT 1"}}},
		{"delimiter inside conditional comment", "/*!50003 CREATE PROCEDURE p() SELECT 1; */;", []st{{Text: "/*!50003 CREATE PROCEDURE p() SELECT 1; */", NoTx: true}}},
		{"optimizer hint", "SELECT /*+ MAX_EXECUTION_TIME(1) */ 1; SELECT 2", []st{{Text: "SELECT /*+ MAX_EXECUTION_TIME(1) */ 1"}, {Text: "SELECT 2"}}},
		{"delimiter", "DELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND$$\nDELIMITER ;\nCALL p();\n",
			[]st{{Text: "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND", Line: 2, NoTx: true}, {Text: "CALL p()", Line: 8}}},
		{"delimiter lower case with comment", "-- x\ndelimiter // -- ignored\nSELECT 1 //\nSELECT 2//", []st{{Text: "SELECT 1", Line: 3}, {Text: "SELECT 2", Line: 4}}},
		{"delimiter quoted", "DELIMITER ';;'\nSELECT 1;;SELECT 2", []st{{Text: "SELECT 1", Line: 2}, {Text: "SELECT 2", Line: 2}}},
		{"delimiter in string", "DELIMITER $$\nSELECT '$$'$$", []st{{Text: "SELECT '$$'", Line: 2}}},
		{"delimiter ends a word", "DELIMITER $$\nSELECT a$$b$$", []st{{Text: "SELECT a", Line: 2}, {Text: "b", Line: 2}}},
		{"delimiter word", "DELIMITER go\nSELECT 1 go\nSELECT ago", []st{{Text: "SELECT 1", Line: 2}, {Text: "SELECT a", Line: 3}}},
		{"delimiter after code is sql", "SELECT 1\nDELIMITER $$", []st{{Text: "SELECT 1\nDELIMITER $$"}}},
		{"delimiter not first on line", "SELECT 1; DELIMITER $$\n", []st{{Text: "SELECT 1"}, {Text: "DELIMITER $$"}}},
		{"delimiters word", "DELIMITERS x;", []st{{Text: "DELIMITERS x"}}},
		{"delimiter crlf", "DELIMITER $$\r\nSELECT 1$$\r\nDELIMITER ;\r\nSELECT 2;", []st{{Text: "SELECT 1", Line: 2}, {Text: "SELECT 2", Line: 4}}},
		{"trigger", "DELIMITER //\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF NEW.a < 0 THEN SET NEW.a = 0; END IF;\nEND //\nDELIMITER ;",
			[]st{{Text: "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF NEW.a < 0 THEN SET NEW.a = 0; END IF;\nEND", Line: 2, NoTx: true}}},
		{"byte order mark", "\ufeffSELECT 1", []st{{Text: "SELECT 1", Offset: 3}}},
		{"byte order mark then delimiter", "\ufeffDELIMITER $$\nSELECT 1$$", []st{{Text: "SELECT 1", Line: 2}}},
		{"lines", "\n\n  SELECT 1\n\n;\n\n\tSELECT\n2\n\n", []st{{Text: "SELECT 1", Line: 3}, {Text: "SELECT\n2", Line: 7}}},
		{"minus", "SELECT 1-1; SELECT -1", []st{{Text: "SELECT 1-1"}, {Text: "SELECT -1"}}},
		{"slash", "SELECT 4/2; SELECT 2", []st{{Text: "SELECT 4/2"}, {Text: "SELECT 2"}}},

		// implicit commits
		{"create table", "create table t (a int)", []st{{Text: "create table t (a int)", NoTx: true}}},
		{"create temporary table", "CREATE TEMPORARY TABLE t (a INT)", []st{{Text: "CREATE TEMPORARY TABLE t (a INT)"}}},
		{"create or replace temporary table", "CREATE OR REPLACE TEMPORARY TABLE t (a INT)", []st{{Text: "CREATE OR REPLACE TEMPORARY TABLE t (a INT)"}}},
		{"create or replace view", "CREATE OR REPLACE VIEW v AS SELECT 1", []st{{Text: "CREATE OR REPLACE VIEW v AS SELECT 1", NoTx: true}}},
		{"drop temporary table", "DROP TEMPORARY TABLE IF EXISTS t", []st{{Text: "DROP TEMPORARY TABLE IF EXISTS t"}}},
		{"ddl", "ALTER TABLE t ADD b INT; DROP VIEW v; RENAME TABLE a TO b; TRUNCATE t",
			[]st{{Text: "ALTER TABLE t ADD b INT", NoTx: true}, {Text: "DROP VIEW v", NoTx: true}, {Text: "RENAME TABLE a TO b", NoTx: true}, {Text: "TRUNCATE t", NoTx: true}}},
		{"account and admin", "GRANT SELECT ON *.* TO u; REVOKE ALL ON *.* FROM u; FLUSH PRIVILEGES; ANALYZE TABLE t; OPTIMIZE TABLE t",
			[]st{{Text: "GRANT SELECT ON *.* TO u", NoTx: true}, {Text: "REVOKE ALL ON *.* FROM u", NoTx: true}, {Text: "FLUSH PRIVILEGES", NoTx: true}, {Text: "ANALYZE TABLE t", NoTx: true}, {Text: "OPTIMIZE TABLE t", NoTx: true}}},
		{"lock tables", "LOCK TABLES t WRITE; UNLOCK TABLES", []st{{Text: "LOCK TABLES t WRITE", NoTx: true}, {Text: "UNLOCK TABLES", NoTx: true}}},
		{"load and cache index", "LOAD INDEX INTO CACHE t; CACHE INDEX t IN c; LOAD DATA INFILE 'x' INTO TABLE t",
			[]st{{Text: "LOAD INDEX INTO CACHE t", NoTx: true}, {Text: "CACHE INDEX t IN c", NoTx: true}, {Text: "LOAD DATA INFILE 'x' INTO TABLE t"}}},
		{"replication", "STOP SLAVE; START REPLICA", []st{{Text: "STOP SLAVE", NoTx: true}, {Text: "START REPLICA", NoTx: true}}},
		{"dml", "INSERT INTO t VALUES (1); UPDATE t SET a = 2; DELETE FROM t; REPLACE INTO t VALUES (3); SELECT 'CREATE'",
			[]st{{Text: "INSERT INTO t VALUES (1)"}, {Text: "UPDATE t SET a = 2"}, {Text: "DELETE FROM t"}, {Text: "REPLACE INTO t VALUES (3)"}, {Text: "SELECT 'CREATE'"}}},
		{"ddl word later", "INSERT INTO `create` SELECT * FROM `drop`", []st{{Text: "INSERT INTO `create` SELECT * FROM `drop`"}}},
		{"ddl after comment", "/* c */ -- d\nDROP TABLE t", []st{{Text: "DROP TABLE t", Line: 2, NoTx: true}}},
		{"mysqldump trigger", "DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1; */;;\nDELIMITER ;",
			[]st{{Text: "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1; */", Line: 2, NoTx: true}}},

		// transaction control
		{"begin", "BEGIN", []st{{Text: "BEGIN", Tx: engine.TxBegin}}},
		{"begin work", "begin work", []st{{Text: "begin work", Tx: engine.TxBegin}}},
		{"begin not atomic", "DELIMITER $$\nBEGIN NOT ATOMIC\n  SELECT 1;\nEND$$", []st{{Text: "BEGIN NOT ATOMIC\n  SELECT 1;\nEND", Line: 2}}},
		{"start transaction", "START TRANSACTION READ WRITE", []st{{Text: "START TRANSACTION READ WRITE", Tx: engine.TxBegin}}},
		{"commit", "COMMIT", []st{{Text: "COMMIT", Tx: engine.TxCommit}}},
		{"commit and chain", "COMMIT WORK AND CHAIN", []st{{Text: "COMMIT WORK AND CHAIN", Tx: engine.TxCommit}}},
		{"rollback", "ROLLBACK", []st{{Text: "ROLLBACK", Tx: engine.TxEnd}}},
		{"rollback to savepoint", "ROLLBACK TO SAVEPOINT s; ROLLBACK WORK TO s", []st{{Text: "ROLLBACK TO SAVEPOINT s"}, {Text: "ROLLBACK WORK TO s"}}},
		{"savepoint", "SAVEPOINT s; RELEASE SAVEPOINT s", []st{{Text: "SAVEPOINT s"}, {Text: "RELEASE SAVEPOINT s"}}},
		{"own transaction", "START TRANSACTION;\nINSERT INTO t VALUES (1);\nCOMMIT;",
			[]st{{Text: "START TRANSACTION", Tx: engine.TxBegin}, {Text: "INSERT INTO t VALUES (1)", Line: 2}, {Text: "COMMIT", Line: 3, Tx: engine.TxCommit}}},
		{"commit in conditional comment", "/*!COMMIT*/", []st{{Text: "/*!COMMIT*/"}}},
		{"commit in a procedure", "DELIMITER $$\nCREATE PROCEDURE p() BEGIN COMMIT; END$$", []st{{Text: "CREATE PROCEDURE p() BEGIN COMMIT; END", Line: 2, NoTx: true}}},
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
					w.Line = g.Line // checked by CheckStatements
				}
				if w.Offset == 0 {
					w.Offset = g.Offset // checked by CheckStatements
				}
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
		{"unterminated string ending in backslash", `SELECT 'abc\'`, 0, 1, 7, "unterminated quoted string"},
		{"unterminated double quoted string", `SELECT "abc""`, 0, 1, 7, "unterminated quoted string"},
		{"unterminated backtick", "SELECT 1;\n\nSELECT `a``", 1, 3, 18, "unterminated quoted identifier"},
		{"unterminated comment", "SELECT 1 /* a ;\n", 0, 1, 9, "unterminated /* comment"},
		{"unterminated conditional comment", "/*!40101 SET x = 1;", 0, 1, 0, "unterminated /*! comment"},
		{"delimiter without argument", "SELECT 1;\nDELIMITER\nSELECT 2", 1, 2, 10, "DELIMITER needs a delimiter on its line"},
		{"delimiter at end", "DELIMITER  ", 0, 1, 0, "DELIMITER needs a delimiter on its line"},
		{"delimiter with backslash", "DELIMITER \\\\", 0, 1, 0, "DELIMITER cannot hold a backslash"},
		{"delimiter too long", "DELIMITER " + strings.Repeat("x", MaxDelimiter+1), 0, 1, 0, fmt.Sprintf("DELIMITER longer than %d bytes", MaxDelimiter)},
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
	s = NewSplitter(strings.NewReader("SELECT 1;\n"))
	s.Next()
	for range 2 {
		if _, err := s.Next(); err != io.EOF {
			t.Fatalf("Next at end = %v, want io.EOF", err)
		}
	}
}

func TestSplitterReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, src := range []string{"SELECT 1;\nSELECT 'abc", "SELECT 1;\nSELECT 2", "SELECT 1 -- x", "DELIMITER $", "SELECT `x", "/*! x"} {
		t.Run(src, func(t *testing.T) {
			r := io.MultiReader(strings.NewReader(src), iotest.ErrReader(boom))
			_, err := scan.Split[Statement](NewSplitter(r))
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
		{"string", "SELECT '" + r(`a''\'`, n/5) + "';\nSELECT 2"},
		{"backticks", "SELECT `" + r("a``", n/3) + "`;\nSELECT 2"},
		{"comment", "/*" + r("*", n) + "*/ SELECT 1;"},
		{"conditional comment", "/*!" + r("x ", n/2) + "*/;"},
		{"word", "SELECT " + r("a", n) + ";"},
		{"word with long delimiter", "DELIMITER abcdefgh\nSELECT " + r("abcdefg", n/7) + "abcdefgh"},
		{"line comments", r("-- x\n", n/5) + "SELECT 1"},
		{"hash comments", r("#\n", n/2) + "SELECT 1"},
		{"delimiter lines", r("DELIMITER ;\n", n/12) + "SELECT 1"},
		{"blank lines", r("\n", n) + "SELECT 1" + r(" \r\n", n)},
		{"statements", r("SELECT 1;\n", n/10)},
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

// txWords are the words a statement of each effect starts with.
var txWords = map[engine.TxEffect]string{engine.TxBegin: "BEGIN START", engine.TxCommit: "COMMIT", engine.TxEnd: "ROLLBACK"}

// harness holds the checks every splitter's tests share. Besides them, a
// statement's transaction effect matches its first word (MySQL has no END
// statement, so splittest.CheckTx, which wants one, does not apply).
var harness = splittest.Harness[Statement]{
	Noun:   "statement",
	Nouns:  "statements",
	Split:  Split,
	Read:   func(r io.Reader) ([]Statement, error) { return scan.Split[Statement](NewSplitter(r)) },
	Format: format,
	Span: func(st Statement) splittest.Span {
		return splittest.Span{Text: st.Text, Offset: st.Offset, Line: st.Line}
	},
	Check: func(t testing.TB, src string, i int, st Statement, end int64) int64 {
		t.Helper()
		if st.TxControl != (st.Tx != engine.TxNone) {
			t.Fatalf("statement %d: TxControl = %v with %v", i+1, st.TxControl, st.Tx)
		}
		first := strings.ToUpper(firstWord(st.Text))
		if st.Tx != engine.TxNone && !strings.Contains(" "+txWords[st.Tx]+" ", " "+first+" ") {
			t.Fatalf("statement %d: %v, but starts with %q", i+1, st.Tx, first)
		}
		if first == "COMMIT" && st.Tx != engine.TxCommit {
			t.Fatalf("statement %d: starts with COMMIT, but %v", i+1, st.Tx)
		}
		return end
	},
}

func firstWord(text string) string {
	for i := 0; i < len(text); i++ {
		if !isIdent[text[i]] {
			return text[:i]
		}
	}
	return text
}

func FuzzSplit(f *testing.F) {
	seeds := []string{
		"SELECT 1; SELECT 'a;\\'b'; SELECT `c;``d`; -- x\n# y\n/* z; */",
		"DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\nDELIMITER ;\nCALL p();",
		"/*!40101 SET NAMES utf8 */;\n/*M!100100 CREATE SEQUENCE s */;;",
		"START TRANSACTION; INSERT INTO t VALUES (1); COMMIT; ROLLBACK TO s",
		"\ufeffDELIMITER '//'\nSELECT a//b//",
		"SELECT 1--1;\nSELECT 1 -- \nDELIMITER\n",
	}
	splittest.AddSeeds(f, seeds...)
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Split(src)
		splittest.CheckSplitError(t, src, err, func(se *SplitError) (int64, int) { return se.Offset, se.Line })
		harness.CheckStatements(t, src, stmts)
		harness.CheckChunked(t, src)
	})
}

// newGenReader generates multi-row INSERT statements, about size bytes.
func newGenReader(size int64) *splittest.BlockReader {
	var b bytes.Buffer
	for i := range 50 {
		b.WriteString("INSERT INTO events (id, kind, payload) VALUES\n")
		for j := range 20 {
			if j > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, "  (%d, 'click', '{\"x\": %d, \"note\": \"it\\'s; fine\"}')", i*20+j, j)
		}
		b.WriteString(";\n-- done\n")
	}
	return splittest.NewBlockReader(b.Bytes(), size)
}

// TestSplitLargeInputMemory splits 20 MB of generated statements and checks
// that the live heap stays far below that.
func TestSplitLargeInputMemory(t *testing.T) {
	const size = 20 << 20
	harness.CheckLargeInput(t, size, func() (*splittest.BlockReader, func() (Statement, error)) {
		r := newGenReader(size)
		return r, NewSplitter(r).Next
	})
}
