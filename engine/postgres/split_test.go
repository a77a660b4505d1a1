package postgres

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
		{"comment only", "-- nothing here\n/* nor /* here */ */\n", nil},
		{"lone semicolons", ";;\n ; ", nil},
		{"one statement", "SELECT 1;", []st{{Text: "SELECT 1", Line: 1}}},
		{"no final semicolon", "SELECT 1;\nSELECT 2", []st{{Text: "SELECT 1", Line: 1}, {Text: "SELECT 2", Line: 2}}},
		{"no final semicolon trailing comment", "SELECT 1\n-- done\n", []st{{Text: "SELECT 1", Line: 1}}},
		{"leading comments are not text", "-- c1\n/* c2 */ SELECT 1;", []st{{Text: "SELECT 1", Line: 2}}},
		{"inner comments are kept", "SELECT 1 -- one\n + 2 /* two */;", []st{{Text: "SELECT 1 -- one\n + 2", Line: 1}}},
		{"comment before semicolon dropped", "SELECT 1 -- c\n;", []st{{Text: "SELECT 1", Line: 1}}},
		{"byte order mark", "\ufeffSELECT 1;", []st{{Text: "SELECT 1", Line: 1}}},
		{"crlf", "SELECT 1;\r\nSELECT 2;\r\n", []st{{Text: "SELECT 1", Line: 1}, {Text: "SELECT 2", Line: 2}}},
		{"string with semicolon", "SELECT 'a;b', 'it''s;';SELECT 2", []st{{Text: "SELECT 'a;b', 'it''s;'", Line: 1}, {Text: "SELECT 2", Line: 1}}},
		{"string backslash is literal", `SELECT 'a\';SELECT 2`, []st{{Text: `SELECT 'a\'`}, {Text: "SELECT 2"}}},
		{"escape string", `SELECT E'it\'s; \\';SELECT 2`, []st{{Text: `SELECT E'it\'s; \\'`}, {Text: "SELECT 2"}}},
		{"lower-case escape string", `SELECT e'\';';`, []st{{Text: `SELECT e'\';'`}}},
		{"escape string doubled quote", `SELECT E'a'';b';`, []st{{Text: `SELECT E'a'';b'`}}},
		{"word ending in e is not an escape prefix", `SELECT namE'\';SELECT 2`, []st{{Text: `SELECT namE'\'`}, {Text: "SELECT 2"}}},
		{"bit and hex strings", "SELECT B'1;0', X'1;F', N'n;';", []st{{Text: "SELECT B'1;0', X'1;F', N'n;'"}}},
		{"unicode string and identifier", `SELECT U&'d\0061;t' AS U&"a;b";`, []st{{Text: `SELECT U&'d\0061;t' AS U&"a;b"`}}},
		{"quoted identifier", `SELECT 1 AS "a;""b";`, []st{{Text: `SELECT 1 AS "a;""b"`}}},
		{"dollar quote", "SELECT $$a;'b$$;SELECT 2", []st{{Text: "SELECT $$a;'b$$"}, {Text: "SELECT 2"}}},
		{"tagged dollar quote", "SELECT $fn$ $$; $x$ $fn$;", []st{{Text: "SELECT $fn$ $$; $x$ $fn$"}}},
		{"dollar tag is case-sensitive", "SELECT $A$ $a$; $A$;", []st{{Text: "SELECT $A$ $a$; $A$"}}},
		{"dollar tag with digits and underscore", "SELECT $_1$;$_1$;", []st{{Text: "SELECT $_1$;$_1$"}}},
		{"parameter is not a quote", "PREPARE p AS SELECT $1;SELECT $2$", []st{{Text: "PREPARE p AS SELECT $1"}, {Text: "SELECT $2$"}}},
		{"dollar inside identifier", "SELECT a$b$; SELECT 2", []st{{Text: "SELECT a$b$"}, {Text: "SELECT 2"}}},
		{"dollar after number", "SELECT 1$$;$$;", []st{{Text: "SELECT 1$$;$$"}}},
		{"lone dollar", "SELECT $ ;", []st{{Text: "SELECT $"}}},
		{"nested comment", "SELECT /* a /* b; */ c; */ 1;", []st{{Text: "SELECT /* a /* b; */ c; */ 1"}}},
		{"dashes in operator start a comment", "SELECT 1 +-- c;\n2;", []st{{Text: "SELECT 1 +-- c;\n2"}}},
		{"semicolon in parentheses", "CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO u VALUES (1); INSERT INTO v VALUES (2));SELECT 1",
			[]st{{Text: "CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO u VALUES (1); INSERT INTO v VALUES (2))"}, {Text: "SELECT 1"}}},
		{"stray closing parenthesis", "SELECT 1);SELECT 2;", []st{{Text: "SELECT 1)"}, {Text: "SELECT 2"}}},
		{"begin atomic", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;SELECT 3",
			[]st{{Text: "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END"}, {Text: "SELECT 3"}}},
		{"begin atomic with case", "CREATE OR REPLACE PROCEDURE p(a int) LANGUAGE sql begin atomic INSERT INTO t VALUES (CASE WHEN a > 0 THEN 1 ELSE 0 END); SELECT case a when 1 then 2 end; end;SELECT 3",
			[]st{{Text: "CREATE OR REPLACE PROCEDURE p(a int) LANGUAGE sql begin atomic INSERT INTO t VALUES (CASE WHEN a > 0 THEN 1 ELSE 0 END); SELECT case a when 1 then 2 end; end"}, {Text: "SELECT 3"}}},
		{"begin atomic split by a comment", "CREATE FUNCTION f() RETURNS int BEGIN /* c */ ATOMIC SELECT 1; END;",
			[]st{{Text: "CREATE FUNCTION f() RETURNS int BEGIN /* c */ ATOMIC SELECT 1; END"}}},
		{"begin atomic words outside a routine", "SELECT 1 AS begin, 2 AS atomic; SELECT 3;", []st{{Text: "SELECT 1 AS begin, 2 AS atomic"}, {Text: "SELECT 3"}}},
		{"do block", "DO $$BEGIN PERFORM 1; COMMIT; END$$;", []st{{Text: "DO $$BEGIN PERFORM 1; COMMIT; END$$"}}},
		{"lines", "\n\nSELECT 1;\n\n  SELECT\n2;", []st{{Text: "SELECT 1", Line: 3}, {Text: "SELECT\n2", Line: 5}}},
		{"restrict lines of pg_dump", "\\restrict abc\n\nSET x = 1;\n\n\\unrestrict abc\n", []st{{Text: "SET x = 1", Line: 3}}},

		// transaction control
		{"begin", "BEGIN;", []st{{Text: "BEGIN", Tx: engine.TxBegin}}},
		{"begin work", "begin work;", []st{{Text: "begin work", Tx: engine.TxBegin}}},
		{"begin isolation level", "BEGIN ISOLATION LEVEL SERIALIZABLE;", []st{{Text: "BEGIN ISOLATION LEVEL SERIALIZABLE", Tx: engine.TxBegin}}},
		{"start transaction", "START TRANSACTION READ ONLY;", []st{{Text: "START TRANSACTION READ ONLY", Tx: engine.TxBegin}}},
		{"commit", "COMMIT;", []st{{Text: "COMMIT", Tx: engine.TxCommit}}},
		{"commit and chain", "COMMIT AND CHAIN;", []st{{Text: "COMMIT AND CHAIN", Tx: engine.TxCommit}}},
		{"commit prepared", "COMMIT PREPARED 'x';", []st{{Text: "COMMIT PREPARED 'x'", Tx: engine.TxEnd}}},
		{"end", "END;", []st{{Text: "END", Tx: engine.TxCommit}}},
		{"end transaction", "end transaction;", []st{{Text: "end transaction", Tx: engine.TxCommit}}},
		{"abort", "ABORT;", []st{{Text: "ABORT", Tx: engine.TxEnd}}},
		{"rollback", "ROLLBACK;", []st{{Text: "ROLLBACK", Tx: engine.TxEnd}}},
		{"rollback work", "ROLLBACK WORK;", []st{{Text: "ROLLBACK WORK", Tx: engine.TxEnd}}},
		{"rollback prepared", "ROLLBACK PREPARED 'x';", []st{{Text: "ROLLBACK PREPARED 'x'", Tx: engine.TxEnd}}},
		{"rollback to savepoint", "ROLLBACK TO SAVEPOINT s;", []st{{Text: "ROLLBACK TO SAVEPOINT s"}}},
		{"rollback transaction to", "ROLLBACK TRANSACTION TO s;", []st{{Text: "ROLLBACK TRANSACTION TO s"}}},
		{"savepoint and release", "SAVEPOINT s; RELEASE SAVEPOINT s;", []st{{Text: "SAVEPOINT s"}, {Text: "RELEASE SAVEPOINT s"}}},
		{"prepare transaction", "PREPARE TRANSACTION 'x';", []st{{Text: "PREPARE TRANSACTION 'x'", Tx: engine.TxEnd}}},
		{"prepare statement", "PREPARE q AS SELECT 1;", []st{{Text: "PREPARE q AS SELECT 1"}}},
		{"comment before begin", "/* c */ -- d\nBEGIN;", []st{{Text: "BEGIN", Line: 2, Tx: engine.TxBegin}}},
		{"begin atomic is not transaction control", "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END;", []st{{Text: "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END"}}},
		{"end of case is not transaction control", "SELECT CASE WHEN true THEN 1 END;", []st{{Text: "SELECT CASE WHEN true THEN 1 END"}}},
		{"set transaction", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;", []st{{Text: "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"}}},
		{"start transaction isolation level", "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", []st{{Text: "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", Tx: engine.TxBegin}}},
		{"begin transaction after comment", "-- open it\nBEGIN TRANSACTION", []st{{Text: "BEGIN TRANSACTION", Line: 2, Tx: engine.TxBegin}}},
		{"commit after comment", "-- done\nCOMMIT", []st{{Text: "COMMIT", Line: 2, Tx: engine.TxCommit}}},
		{"end work", "END WORK;", []st{{Text: "END WORK", Tx: engine.TxCommit}}},
		{"abort transaction", "abort transaction;", []st{{Text: "abort transaction", Tx: engine.TxEnd}}},
		{"rollback and chain", "ROLLBACK AND CHAIN;", []st{{Text: "ROLLBACK AND CHAIN", Tx: engine.TxEnd}}},
		{"commit with prepared in a comment", "COMMIT /* prepared */ AND NO CHAIN;", []st{{Text: "COMMIT /* prepared */ AND NO CHAIN", Tx: engine.TxCommit}}},
		{"rollback prepared with tx words in its gid", "ROLLBACK PREPARED 'begin transaction';", []st{{Text: "ROLLBACK PREPARED 'begin transaction'", Tx: engine.TxEnd}}},
		{"commit prepared lower case", "commit prepared 'commit';", []st{{Text: "commit prepared 'commit'", Tx: engine.TxEnd}}},
		{"start without transaction", "START x;", []st{{Text: "START x"}}},
		{"script of its own transaction", "BEGIN;\nUPDATE t SET a = 1;\nCOMMIT;",
			[]st{{Text: "BEGIN", Tx: engine.TxBegin}, {Text: "UPDATE t SET a = 1", Line: 2}, {Text: "COMMIT", Line: 3, Tx: engine.TxCommit}}},
		{"plpgsql body is not transaction control", "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  IF true THEN COMMIT; END IF;\n  LOOP EXIT; END LOOP;\nEND\n$$;\nEND;",
			[]st{{Text: "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  IF true THEN COMMIT; END IF;\n  LOOP EXIT; END LOOP;\nEND\n$$"}, {Text: "END", Line: 7, Tx: engine.TxCommit}}},
		{"do block with begin and end", "DO $do$ BEGIN ROLLBACK; END $do$;", []st{{Text: "DO $do$ BEGIN ROLLBACK; END $do$"}}},
		{"begin atomic then commit", "CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END; COMMIT;", []st{{Text: "CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END"}, {Text: "COMMIT", Tx: engine.TxCommit}}},
		{"rollback to savepoint lower case", "rollback work to savepoint s;", []st{{Text: "rollback work to savepoint s"}}},

		// non-transactional
		{"create index concurrently", "CREATE INDEX CONCURRENTLY i ON t (a);", []st{{Text: "CREATE INDEX CONCURRENTLY i ON t (a)", NoTx: true}}},
		{"create unique index concurrently if not exists", "create unique index concurrently if not exists i on t(a);", []st{{Text: "create unique index concurrently if not exists i on t(a)", NoTx: true}}},
		{"create index concurrently with comment", "CREATE /* x */ INDEX -- y\n CONCURRENTLY i ON t (a);", []st{{Text: "CREATE /* x */ INDEX -- y\n CONCURRENTLY i ON t (a)", NoTx: true}}},
		{"drop index concurrently", "DROP INDEX CONCURRENTLY IF EXISTS i;", []st{{Text: "DROP INDEX CONCURRENTLY IF EXISTS i", NoTx: true}}},
		{"create index", "CREATE INDEX i ON t (a);", []st{{Text: "CREATE INDEX i ON t (a)"}}},
		{"create index named concurrently", `CREATE INDEX "concurrently" ON t (a);`, []st{{Text: `CREATE INDEX "concurrently" ON t (a)`}}},
		{"reindex concurrently", "REINDEX TABLE CONCURRENTLY t;", []st{{Text: "REINDEX TABLE CONCURRENTLY t", NoTx: true}}},
		{"reindex concurrently option", "REINDEX (VERBOSE, CONCURRENTLY) INDEX i;", []st{{Text: "REINDEX (VERBOSE, CONCURRENTLY) INDEX i", NoTx: true}}},
		{"reindex schema", "REINDEX (VERBOSE) SCHEMA public;", []st{{Text: "REINDEX (VERBOSE) SCHEMA public", NoTx: true}}},
		{"reindex verbose database", "REINDEX VERBOSE DATABASE d;", []st{{Text: "REINDEX VERBOSE DATABASE d", NoTx: true}}},
		{"reindex system", "REINDEX SYSTEM;", []st{{Text: "REINDEX SYSTEM", NoTx: true}}},
		{"reindex table", "REINDEX TABLE t;", []st{{Text: "REINDEX TABLE t"}}},
		{"vacuum", "VACUUM (ANALYZE) t;", []st{{Text: "VACUUM (ANALYZE) t", NoTx: true}}},
		{"cluster", "CLUSTER;", []st{{Text: "CLUSTER", NoTx: true}}},
		{"cluster verbose", "CLUSTER (VERBOSE);", []st{{Text: "CLUSTER (VERBOSE)", NoTx: true}}},
		{"cluster table", "CLUSTER t USING i;", []st{{Text: "CLUSTER t USING i"}}},
		{"create database", "CREATE DATABASE d;", []st{{Text: "CREATE DATABASE d", NoTx: true}}},
		{"drop database", "DROP DATABASE IF EXISTS d WITH (FORCE);", []st{{Text: "DROP DATABASE IF EXISTS d WITH (FORCE)", NoTx: true}}},
		{"create tablespace", "CREATE TABLESPACE s LOCATION '/x';", []st{{Text: "CREATE TABLESPACE s LOCATION '/x'", NoTx: true}}},
		{"drop tablespace", "DROP TABLESPACE s;", []st{{Text: "DROP TABLESPACE s", NoTx: true}}},
		{"create subscription", "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p;", []st{{Text: "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", NoTx: true}}},
		{"drop subscription", "DROP SUBSCRIPTION s;", []st{{Text: "DROP SUBSCRIPTION s", NoTx: true}}},
		{"alter subscription refresh", "ALTER SUBSCRIPTION s REFRESH PUBLICATION;", []st{{Text: "ALTER SUBSCRIPTION s REFRESH PUBLICATION", NoTx: true}}},
		{"alter subscription add publication", `ALTER SUBSCRIPTION "s" ADD PUBLICATION p;`, []st{{Text: `ALTER SUBSCRIPTION "s" ADD PUBLICATION p`, NoTx: true}}},
		{"alter subscription enable", "ALTER SUBSCRIPTION s ENABLE;", []st{{Text: "ALTER SUBSCRIPTION s ENABLE"}}},
		{"alter system", "ALTER SYSTEM SET work_mem = '8MB';", []st{{Text: "ALTER SYSTEM SET work_mem = '8MB'", NoTx: true}}},
		{"discard all", "DISCARD ALL;", []st{{Text: "DISCARD ALL", NoTx: true}}},
		{"discard plans", "DISCARD PLANS;", []st{{Text: "DISCARD PLANS"}}},
		{"alter database set tablespace", "ALTER DATABASE d SET TABLESPACE s;", []st{{Text: "ALTER DATABASE d SET TABLESPACE s", NoTx: true}}},
		{"alter database set parameter", "ALTER DATABASE d SET default_tablespace = 's';", []st{{Text: "ALTER DATABASE d SET default_tablespace = 's'"}}},
		{"detach partition concurrently", "ALTER TABLE IF EXISTS ONLY s.p DETACH PARTITION s.p1 CONCURRENTLY;", []st{{Text: "ALTER TABLE IF EXISTS ONLY s.p DETACH PARTITION s.p1 CONCURRENTLY", NoTx: true}}},
		{"detach partition", "ALTER TABLE p DETACH PARTITION p1;", []st{{Text: "ALTER TABLE p DETACH PARTITION p1"}}},
		{"call", "CALL p(1);", []st{{Text: "CALL p(1)", MayCommit: true}}},
		{"alter type add value", `ALTER TYPE "my type" ADD VALUE IF NOT EXISTS 'x' AFTER 'y';`, []st{{Text: `ALTER TYPE "my type" ADD VALUE IF NOT EXISTS 'x' AFTER 'y'`, AddsEnumValue: true}}},
		{"alter type add attribute", "ALTER TYPE t ADD ATTRIBUTE a int;", []st{{Text: "ALTER TYPE t ADD ATTRIBUTE a int"}}},
		{"keywords inside parentheses do not count", "SELECT (VACUUM);", []st{{Text: "SELECT (VACUUM)"}}},

		// COPY
		{"copy from stdin", "COPY t (a, b) FROM stdin;\n1\t2\n3\t4\n\\.\nSELECT 1;",
			[]st{{Text: "COPY t (a, b) FROM stdin", CopyFromStdin: true, CopyData: []byte("1\t2\n3\t4\n")}, {Text: "SELECT 1", Line: 5}}},
		{"copy data with sql-like lines", "COPY t FROM STDIN;\n';\n/*\n$$\n\\.\n",
			[]st{{Text: "COPY t FROM STDIN", CopyFromStdin: true, CopyData: []byte("';\n/*\n$$\n")}}},
		{"copy rest of line skipped", "COPY t FROM STDIN; -- data follows\nx\n\\.\n",
			[]st{{Text: "COPY t FROM STDIN", CopyFromStdin: true, CopyData: []byte("x\n")}}},
		{"copy empty", "COPY t FROM STDIN;\n\\.\nSELECT 1",
			[]st{{Text: "COPY t FROM STDIN", CopyFromStdin: true, CopyData: []byte{}}, {Text: "SELECT 1", Line: 3}}},
		{"copy end marker trimmed", "COPY t FROM STDIN;\r\na\r\n  \\.  \r\nSELECT 1",
			[]st{{Text: "COPY t FROM STDIN", CopyFromStdin: true, CopyData: []byte("a\r\n")}, {Text: "SELECT 1", Line: 4}}},
		{"copy end marker at end of input", "COPY t FROM STDIN;\na\n\\.",
			[]st{{Text: "COPY t FROM STDIN", CopyFromStdin: true, CopyData: []byte("a\n")}}},
		{"copy backslash lines are data", "COPY t FROM STDIN;\n\\.x\n\\\\.\n\\N\n\\.\n",
			[]st{{Text: "COPY t FROM STDIN", CopyFromStdin: true, CopyData: []byte("\\.x\n\\\\.\n\\N\n")}}},
		{"copy with options", "COPY t FROM STDIN WITH (FORMAT csv);\na,b\n\\.\n",
			[]st{{Text: "COPY t FROM STDIN WITH (FORMAT csv)", CopyFromStdin: true, CopyData: []byte("a,b\n")}}},
		{"copy to stdout", "COPY t TO STDOUT;\nSELECT 1;", []st{{Text: "COPY t TO STDOUT"}, {Text: "SELECT 1", Line: 2}}},
		{"copy from file", "COPY t FROM '/tmp/stdin';\nSELECT 1;", []st{{Text: "COPY t FROM '/tmp/stdin'"}, {Text: "SELECT 1", Line: 2}}},
		{"copy query", "COPY (SELECT 1 FROM stdin) TO STDOUT;", []st{{Text: "COPY (SELECT 1 FROM stdin) TO STDOUT"}}},
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
				if g.Text != w.Text || g.Line != w.Line || g.NoTx != w.NoTx || g.TxControl != w.TxControl || g.Tx != w.Tx ||
					g.MayCommit != w.MayCommit || g.AddsEnumValue != w.AddsEnumValue ||
					g.CopyFromStdin != w.CopyFromStdin || !bytes.Equal(g.CopyData, w.CopyData) ||
					(g.CopyData == nil) != (w.CopyData == nil) {
					t.Errorf("statement %d:\n got  %s %v\n want %s %v", i+1, format([]Statement{g}, nil), g.Tx, format([]Statement{w}, nil), w.Tx)
				}
			}
			checkChunked(t, tt.src)
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
		{"unterminated escape string", `SELECT E'abc\'`, 0, 1, 7, "unterminated quoted string"},
		{"backslash at end of escape string", `SELECT E'abc\`, 0, 1, 7, "unterminated quoted string"},
		{"unterminated identifier", `SELECT "abc`, 0, 1, 7, "unterminated quoted identifier"},
		{"unterminated unicode identifier", `SELECT U&"abc`, 0, 1, 7, "unterminated quoted identifier"},
		{"unterminated dollar quote", "SELECT 1;\n\nCREATE FUNCTION f() RETURNS int AS $fn$\nBEGIN\n", 1, 3, 46, "unterminated dollar-quoted string $fn$"},
		{"unterminated empty dollar quote", "DO $$ BEGIN", 0, 1, 3, "unterminated dollar-quoted string $$"},
		{"unterminated comment in statement", "SELECT 1 /* x /* y */", 0, 1, 9, "unterminated /* comment"},
		{"unterminated comment between statements", "SELECT 1;\n/* x /* y */\n", 1, 2, 10, "unterminated /* comment"},
		{"unclosed parenthesis", "SELECT 1;\nSELECT (1, (2);\nSELECT 3;", 1, 2, 17, "unclosed parenthesis: no ')' before the end of the input"},
		{"begin atomic without end", "CREATE FUNCTION f() RETURNS int\nBEGIN ATOMIC SELECT 1;", 0, 2, 32, "BEGIN ATOMIC without END"},
		{"copy without end marker", "SELECT 1;\nCOPY t FROM STDIN;\n1\n2\n", 1, 2, 10, `COPY ... FROM STDIN data has no terminating \. line`},
		{"copy without data", "COPY t FROM STDIN;", 0, 1, 0, `COPY ... FROM STDIN data has no terminating \. line`},
		{"copy at end of input without semicolon", "COPY t FROM STDIN", 0, 1, 0, `COPY ... FROM STDIN data has no terminating \. line`},
		{"psql meta-command", "SELECT 1;\n\\connect other\nSELECT 2;", 1, 2, 10, `psql meta-command \connect is not supported`},
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
			checkChunked(t, tt.src)
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
	for _, src := range []string{"SELECT 1; SELECT 'abc", "SELECT 1; SELECT 2", "COPY t FROM STDIN;\nabc\n"} {
		t.Run(src, func(t *testing.T) {
			r := io.MultiReader(strings.NewReader(src), iotest.ErrReader(boom))
			_, err := splitAll(NewSplitter(r))
			if !errors.Is(err, boom) {
				t.Fatalf("error = %v, want it to wrap %v", err, boom)
			}
		})
	}
}

func TestSplitterStreamCopy(t *testing.T) {
	src := "COPY a FROM STDIN;\n1\n2\n\\.\nCOPY b FROM STDIN; -- x\n3\n\\.\nSELECT 1;\nCOPY c FROM STDIN;\n4\n\\.\n"
	t.Run("read all", func(t *testing.T) {
		s := NewSplitter(strings.NewReader(src))
		s.StreamCopy()
		var data []string
		for {
			st, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.CopyData != nil {
				t.Errorf("CopyData = %q, want nil when streaming", st.CopyData)
			}
			if st.CopyFromStdin {
				b, err := io.ReadAll(iotest.OneByteReader(s.CopyReader()))
				if err != nil {
					t.Fatal(err)
				}
				data = append(data, string(b))
			}
		}
		if got := strings.Join(data, "|"); got != "1\n2\n|3\n|4\n" {
			t.Errorf("copy data = %q", got)
		}
	})
	t.Run("unread data is skipped", func(t *testing.T) {
		s := NewSplitter(strings.NewReader(src))
		s.StreamCopy()
		st, _ := s.Next()
		r := s.CopyReader()
		b := make([]byte, 1)
		if n, err := r.Read(b); n != 1 || err != nil || b[0] != '1' {
			t.Fatalf("Read = %d, %v, %q", n, err, b)
		}
		st, err := s.Next()
		if err != nil || st.Text != "COPY b FROM STDIN" || st.Line != 5 {
			t.Fatalf("Next = %+v, %v", st, err)
		}
		if n, err := r.Read(b); n != 0 || err != io.EOF {
			t.Errorf("stale reader Read = %d, %v; want io.EOF", n, err)
		}
		st, err = s.Next()
		if err != nil || st.Text != "SELECT 1" || st.Line != 8 {
			t.Fatalf("Next = %+v, %v", st, err)
		}
	})
	t.Run("unterminated", func(t *testing.T) {
		s := NewSplitter(strings.NewReader("COPY a FROM STDIN;\n1\n"))
		s.StreamCopy()
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
		_, err := io.ReadAll(s.CopyReader())
		var se *SplitError
		if !errors.As(err, &se) || se.Line != 1 {
			t.Fatalf("ReadAll error = %v, want a *SplitError at line 1", err)
		}
		if _, err2 := s.Next(); err2 != err {
			t.Errorf("Next after the error = %v, want %v", err2, err)
		}
	})
}

// TestSplitLongTokens reads tokens far longer than the read buffer one byte
// at a time. Rescanning a token on every read would make this quadratic.
func TestSplitLongTokens(t *testing.T) {
	const n = 256 << 10
	r := strings.Repeat
	tests := []struct{ name, src string }{
		{"string", "SELECT '" + r("a''", n/3) + "';"},
		{"escape string", "SELECT E'" + r("\\'", n/2) + "';"},
		{"dollar quote", "SELECT $abc$" + r("$ab", n/3) + "$abc$;"},
		{"dollar tag", "SELECT $" + r("a", n) + "$ x $" + r("a", n) + "$;"},
		{"nested comment", "/*" + r("/*", n/2) + r("*/", n/2) + "*/ SELECT 1;"},
		{"word", "SELECT " + r("a", n) + ";"},
		{"parentheses", "SELECT " + r("(", n/2) + r(")", n/2) + ";"},
		{"semicolons", r(";", n)},
		{"line comments", r("-- x\n", n/5)},
		{"copy line", "COPY t FROM STDIN;\n" + r("a", n) + "\n\\.\n"},
		{"copy blank line", "COPY t FROM STDIN;\n" + r(" ", n) + "\\." + r(" ", n) + "\n"},
		{"copy rest of line", "COPY t FROM STDIN;" + r(" ", n) + "\n\\.\n"},
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
		for _, f := range []struct {
			on   bool
			name string
		}{{st.NoTx, "notx"}, {st.TxControl, "txcontrol"}, {st.MayCommit, "maycommit"}, {st.AddsEnumValue, "addsenumvalue"}, {st.CopyFromStdin, "copy"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		if len(flags) == 0 {
			flags = []string{"-"}
		}
		fmt.Fprintf(&b, "-- [%d] offset=%d line=%d flags=%s\n%s\n", i+1, st.Offset, st.Line, strings.Join(flags, ","), st.Text)
		if st.CopyFromStdin {
			fmt.Fprintf(&b, "-- [%d] copy data, %d bytes:\n%s", i+1, len(st.CopyData), st.CopyData)
		}
	}
	if err != nil {
		fmt.Fprintf(&b, "-- error: %v\n", err)
	}
	return b.String()
}

// harness holds the checks every splitter's tests share. Besides them, the
// COPY data of a statement must be in the input after it.
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
	Check: func(t testing.TB, src string, i int, st Statement, end int64) int64 {
		t.Helper()
		if st.CopyFromStdin {
			i := strings.Index(src[end:], string(st.CopyData))
			if i < 0 {
				t.Fatalf("statement %d: CopyData %q is not in the input after the statement", i+1, st.CopyData)
			}
			end += int64(i + len(st.CopyData))
		}
		return end
	},
}

// checkChunked checks that every way of chunking the input gives what Split
// gives, with COPY data collected or streamed.
func checkChunked(t testing.TB, src string) {
	t.Helper()
	harness.CheckChunked(t, src)
	want, wantErr := Split(src)
	s := NewSplitter(iotest.HalfReader(strings.NewReader(src)))
	s.StreamCopy()
	got, err := splitAll(s)
	if !sameResult(got, err, want, wantErr) {
		t.Fatalf("streamed COPY: got\n%s\nwant\n%s", format(got, err), format(want, wantErr))
	}
}

// splitAll reads every statement of s; with StreamCopy in effect it reads
// the COPY data into CopyData.
func splitAll(s *Splitter) ([]Statement, error) {
	var out []Statement
	for {
		st, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if st.CopyFromStdin && s.stream {
			b, err := io.ReadAll(s.CopyReader())
			if err != nil {
				return out, err
			}
			st.CopyData = append([]byte{}, b...)
		}
		out = append(out, st)
	}
}

func sameResult(a []Statement, aErr error, b []Statement, bErr error) bool {
	return format(a, aErr) == format(b, bErr)
}

func FuzzSplit(f *testing.F) {
	seeds := []string{
		"SELECT 1; SELECT 'a;b'; SELECT $$;$$",
		"CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT CASE WHEN 1 THEN 2 END; END;",
		"COPY t FROM STDIN;\n1\n\\.\nSELECT 1",
		"SELECT E'\\'';/* /* */ */ -- x\n",
		"SELECT (1;",
		"\\restrict x\nSELECT 1",
		"SELECT U&'x' AS U&\"y\", $1, a$b$, $x$ $y$ $x$",
		"\ufeffBEGIN; COMMIT",
	}
	splittest.AddSeeds(f, seeds...)
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Split(src)
		splittest.CheckSplitError(t, src, err, func(se *SplitError) (int64, int) { return se.Offset, se.Line })
		harness.CheckStatements(t, src, stmts)
		checkChunked(t, src)
	})
}

// newInsertReader generates multi-row INSERT statements, about size bytes.
func newInsertReader(size int64) *splittest.BlockReader {
	var b bytes.Buffer
	for i := range 50 {
		b.WriteString("INSERT INTO public.events (id, kind, payload, created_at) VALUES\n")
		for j := range 20 {
			if j > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, "  (%d, 'click', E'{\"x\": %d, \"note\": \"it\\'s; fine\"}', '2024-01-01 00:00:%02d')", i*20+j, j, j)
		}
		b.WriteString(";\n-- batch done\n")
	}
	return splittest.NewBlockReader(b.Bytes(), size) // whole statements only
}

// TestSplitLargeInputMemory splits 20 MB of generated statements, and a
// 20 MB streamed COPY, and checks that the live heap stays far below that.
func TestSplitLargeInputMemory(t *testing.T) {
	const size = 20 << 20
	t.Run("inserts", func(t *testing.T) {
		harness.CheckLargeInput(t, size, func() (*splittest.BlockReader, func() (Statement, error)) {
			r := newInsertReader(size)
			return r, NewSplitter(r).Next
		})
	})
	t.Run("streamed copy", func(t *testing.T) {
		splittest.MeasureHeap(t, size, func(sample func()) {
			head := strings.NewReader("COPY t (a, b) FROM stdin;\n")
			line := []byte("12345\tsome text; with 'quotes' and $$\n")
			rows := &repeatReader{line: line, size: size - size%len(line)}
			tail := strings.NewReader("\\.\nSELECT 1;\n")
			s := NewSplitter(io.MultiReader(head, rows, tail))
			s.StreamCopy()
			st, err := s.Next()
			if err != nil || !st.CopyFromStdin {
				t.Fatalf("Next = %+v, %v", st, err)
			}
			buf := make([]byte, 32<<10)
			total, next := 0, 0
			r := s.CopyReader()
			for {
				n, err := r.Read(buf)
				total += n
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if total >= next {
					sample()
					next += 1 << 20
				}
			}
			if total != rows.size {
				t.Errorf("copy data is %d bytes, want %d", total, rows.size)
			}
			if st, err := s.Next(); err != nil || st.Text != "SELECT 1" {
				t.Errorf("Next after the COPY = %+v, %v", st, err)
			}
		})
	})
}

// repeatReader repeats line until size bytes (size is a multiple of it or not).
type repeatReader struct {
	line    []byte
	size, n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n >= r.size {
		return 0, io.EOF
	}
	if rest := r.size - r.n; len(p) > rest {
		p = p[:rest]
	}
	for i := range p {
		p[i] = r.line[(r.n+i)%len(r.line)]
	}
	r.n += len(p)
	return len(p), nil
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
