package sqlserver

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
		{"comments only", "-- nothing\n/* nor /* here */ */\nGO\n-- x\n", nil},
		{"go only", "GO\nGO\n  go  \n", nil},
		{"no go", "SELECT 1;\nSELECT 2", []st{{Text: "SELECT 1;\nSELECT 2", Line: 1}}},
		{"two batches", "SELECT 1\nGO\nSELECT 2\nGO\n", []st{{Text: "SELECT 1", Line: 1}, {Text: "SELECT 2", Line: 3}}},
		{"last batch needs no go", "SELECT 1\nGO\nSELECT 2", []st{{Text: "SELECT 1"}, {Text: "SELECT 2", Line: 3}}},
		{"go at eof without newline", "SELECT 1\nGO", []st{{Text: "SELECT 1"}}},
		{"go count at eof", "SELECT 1\nGO 2", []st{{Text: "SELECT 1", Repeat: 2}}},
		{"lowercase go", "SELECT 1\ngo\nSELECT 2\nGo\nSELECT 3\ngO\n", []st{{Text: "SELECT 1"}, {Text: "SELECT 2"}, {Text: "SELECT 3"}}},
		{"go with blanks", "SELECT 1\n \t GO \t \nSELECT 2", []st{{Text: "SELECT 1"}, {Text: "SELECT 2", Line: 3}}},
		{"go count", "INSERT INTO t DEFAULT VALUES\nGO 5\nSELECT 1", []st{{Text: "INSERT INTO t DEFAULT VALUES", Repeat: 5}, {Text: "SELECT 1", Line: 3}}},
		{"go large count", "SELECT 1\nGO 100000\n", []st{{Text: "SELECT 1", Repeat: 100000}}},
		{"go count leading zeros", "SELECT 1\nGO 007\n", []st{{Text: "SELECT 1", Repeat: 7}}},
		{"go count with tabs", "SELECT 1\nGO\t3\t\n", []st{{Text: "SELECT 1", Repeat: 3}}},
		{"go with comment", "SELECT 1\nGO -- end of batch 1\nSELECT 2", []st{{Text: "SELECT 1"}, {Text: "SELECT 2", Line: 3}}},
		{"go with comment right after", "SELECT 1\nGO--x\nSELECT 2", []st{{Text: "SELECT 1"}, {Text: "SELECT 2", Line: 3}}},
		{"go count with comment", "SELECT 1\nGO 3 -- three times\nSELECT 2", []st{{Text: "SELECT 1", Repeat: 3}, {Text: "SELECT 2", Line: 3}}},
		{"go count with comment right after", "SELECT 1\nGO 3--x", []st{{Text: "SELECT 1", Repeat: 3}}},
		{"go comment holding go", "SELECT 1\nGO -- GO 5\nSELECT 2", []st{{Text: "SELECT 1"}, {Text: "SELECT 2", Line: 3}}},
		{"go at start", "GO\nSELECT 1", []st{{Text: "SELECT 1", Line: 2}}},
		{"empty batch count ignored", "GO 3\nSELECT 1", []st{{Text: "SELECT 1", Line: 2}}},
		{"byte order mark", "\ufeffSELECT 1\nGO\nSELECT 2", []st{{Text: "SELECT 1", Line: 1, Offset: 3}, {Text: "SELECT 2", Line: 3}}},
		{"byte order mark then go", "\ufeffGO\nSELECT 2", []st{{Text: "SELECT 2", Line: 2}}},
		{"goto", "GOTO done\nSELECT 1\ndone:\nGO", []st{{Text: "GOTO done\nSELECT 1\ndone:"}}},
		{"go alias", "SELECT 1 AS go\nGO", []st{{Text: "SELECT 1 AS go"}}},
		{"go alias on next line", "SELECT 1 AS\n  go", []st{{Text: "SELECT 1 AS"}}}, // a GO line, as for sqlcmd
		{"go column", "SELECT a,\ngo = 1\nFROM t", []st{{Text: "SELECT a,\ngo = 1\nFROM t"}}},
		{"go followed by semicolon", "SELECT 1\nGO;\nSELECT 2", []st{{Text: "SELECT 1\nGO;\nSELECT 2"}}},
		{"go followed by word", "SELECT 1\nGO x\nSELECT 2", []st{{Text: "SELECT 1\nGO x\nSELECT 2"}}},
		{"go count followed by word", "SELECT 1\nGO 5x\nSELECT 2", []st{{Text: "SELECT 1\nGO 5x\nSELECT 2"}}},
		{"go count followed by word after blank", "SELECT 1\nGO 5 x", []st{{Text: "SELECT 1\nGO 5 x"}}},
		{"go followed by block comment", "SELECT 1\nGO /* x */\nSELECT 2", []st{{Text: "SELECT 1\nGO /* x */\nSELECT 2"}}},
		{"go after block comment", "SELECT 1\n/* x */ GO\nSELECT 2", []st{{Text: "SELECT 1\n/* x */ GO\nSELECT 2"}}},
		{"go words", "SELECT 1 AS category, 2 AS go_on, 3 AS GO$, 4 AS go#, 5 AS GO@\nGO", []st{{Text: "SELECT 1 AS category, 2 AS go_on, 3 AS GO$, 4 AS go#, 5 AS GO@"}}},
		{"go digits word", "SELECT 1\nGO5\nSELECT 2", []st{{Text: "SELECT 1\nGO5\nSELECT 2"}}},
		{"go minus count", "SELECT 1\nGO -5\nSELECT 2", []st{{Text: "SELECT 1\nGO -5\nSELECT 2"}}},
		{"go in string", "SELECT '\nGO\n'\nGO", []st{{Text: "SELECT '\nGO\n'"}}},
		{"go in string with doubled quote", "SELECT 'it''s\nGO\n'''\nGO\nSELECT 2", []st{{Text: "SELECT 'it''s\nGO\n'''"}, {Text: "SELECT 2", Line: 5}}},
		{"go in unicode string", "SELECT N'\nGO\n'\nGO", []st{{Text: "SELECT N'\nGO\n'"}}},
		{"go in quoted identifier", "SELECT 1 AS \"a\n\"\"\nGO\n\"\nGO", []st{{Text: "SELECT 1 AS \"a\n\"\"\nGO\n\""}}},
		{"go in brackets", "SELECT 1 AS [a\n]]\nGO\n]\nGO\nSELECT 2", []st{{Text: "SELECT 1 AS [a\n]]\nGO\n]"}, {Text: "SELECT 2", Line: 6}}},
		{"brackets hold quotes", "SELECT [it's]\nGO\nSELECT 2", []st{{Text: "SELECT [it's]"}, {Text: "SELECT 2", Line: 3}}},
		{"string holds brackets", "SELECT '[' \nGO\nSELECT ']'", []st{{Text: "SELECT '['"}, {Text: "SELECT ']'", Line: 3}}},
		{"go in line comment", "SELECT 1 -- \nGO\n", []st{{Text: "SELECT 1 --"}}},
		{"line comment then go line", "SELECT 1 -- x GO\nGO\nSELECT 2", []st{{Text: "SELECT 1 -- x GO"}, {Text: "SELECT 2", Line: 3}}},
		{"go in block comment", "SELECT 1 /*\nGO\n*/\nGO\nSELECT 2", []st{{Text: "SELECT 1 /*\nGO\n*/"}, {Text: "SELECT 2", Line: 5}}},
		{"go in nested comment", "/* a /* b\nGO\n*/ c\nGO\n*/ SELECT 1\nGO\nSELECT 2", []st{{Text: "/* a /* b\nGO\n*/ c\nGO\n*/ SELECT 1"}, {Text: "SELECT 2", Line: 7}}},
		{"line comment inside block comment", "/* -- */ SELECT 1\nGO", []st{{Text: "/* -- */ SELECT 1"}}},
		{"block comment inside line comment", "SELECT 1 -- /*\nGO\nSELECT 2", []st{{Text: "SELECT 1 -- /*"}, {Text: "SELECT 2", Line: 3}}},
		{"go inside begin end", "IF 1 = 1\nBEGIN\nSELECT 1\nGO\nEND", []st{{Text: "IF 1 = 1\nBEGIN\nSELECT 1"}, {Text: "END", Line: 5}}},
		{"go inside parentheses", "SELECT (1\nGO\n)", []st{{Text: "SELECT (1"}, {Text: ")", Line: 3}}},
		{"comments are kept", "-- header\n\n/* c */ SELECT 1 -- one\n-- trailer  \nGO", []st{{Text: "-- header\n\n/* c */ SELECT 1 -- one\n-- trailer", Line: 1}}},
		{"comment only batch skipped", "SELECT 1\nGO\n-- nothing\n/* here */\nGO\nSELECT 2", []st{{Text: "SELECT 1"}, {Text: "SELECT 2", Line: 6}}},
		{"lines", "\n\n  SELECT 1\n\nGO\n\n\n\tSELECT\n2\n\n", []st{{Text: "SELECT 1", Line: 3}, {Text: "SELECT\n2", Line: 8}}},
		{"crlf", "SELECT 1\r\nGO\r\nSELECT 2\r\n-- c\r\nGO 2\r\n\r\nSELECT 3\r\n", []st{{Text: "SELECT 1", Line: 1}, {Text: "SELECT 2\r\n-- c", Line: 3, Repeat: 2}, {Text: "SELECT 3", Line: 7}}},
		{"cr is not a line end", "SELECT 1\rGO\rSELECT 2", []st{{Text: "SELECT 1\rGO\rSELECT 2"}}},
		{"backslash newline in string", "SELECT 'a\\\nb'\nGO\nSELECT 2", []st{{Text: "SELECT 'a\\\nb'"}, {Text: "SELECT 2", Line: 4}}},
		{"backslash newline outside string", "SELECT 1 \\\nGO\nSELECT 2", []st{{Text: "SELECT 1 \\"}, {Text: "SELECT 2", Line: 3}}},
		{"backslash before quote", "SELECT 'a\\'\nGO\nSELECT 2", []st{{Text: "SELECT 'a\\'"}, {Text: "SELECT 2", Line: 3}}},
		{"go indented by form feed", "SELECT 1\n\f\vGO\n", []st{{Text: "SELECT 1"}}},

		// transaction control
		{"begin tran", "BEGIN TRAN", []st{{Text: "BEGIN TRAN", Tx: engine.TxBegin}}},
		{"begin transaction name", "begin transaction t1 WITH MARK 'm'", []st{{Text: "begin transaction t1 WITH MARK 'm'", Tx: engine.TxBegin}}},
		{"begin distributed transaction", "BEGIN DISTRIBUTED TRANSACTION", []st{{Text: "BEGIN DISTRIBUTED TRANSACTION", Tx: engine.TxBegin}}},
		{"begin tran split by comment", "BEGIN /* x */ -- y\nTRAN", []st{{Text: "BEGIN /* x */ -- y\nTRAN", Tx: engine.TxBegin}}},
		{"commit", "UPDATE t SET a = 1\nCOMMIT", []st{{Text: "UPDATE t SET a = 1\nCOMMIT", Tx: engine.TxCommit}}},
		{"commit tran", "COMMIT TRAN t1", []st{{Text: "COMMIT TRAN t1", Tx: engine.TxCommit}}},
		{"commit work", "commit work", []st{{Text: "commit work", Tx: engine.TxCommit}}},
		{"rollback", "ROLLBACK", []st{{Text: "ROLLBACK", Tx: engine.TxEnd}}},
		{"rollback savepoint", "ROLLBACK TRANSACTION sp1", []st{{Text: "ROLLBACK TRANSACTION sp1", Tx: engine.TxEnd}}},
		{"rollback after if", "IF @@TRANCOUNT > 0 ROLLBACK", []st{{Text: "IF @@TRANCOUNT > 0 ROLLBACK", Tx: engine.TxEnd}}},
		{"commit after semicolon", "SELECT 1;COMMIT;", []st{{Text: "SELECT 1;COMMIT;", Tx: engine.TxCommit}}},
		{"try catch", "BEGIN TRY\n  BEGIN TRAN\n  UPDATE t SET a = 1\n  COMMIT\nEND TRY\nBEGIN CATCH\n  ROLLBACK\nEND CATCH",
			[]st{{Text: "BEGIN TRY\n  BEGIN TRAN\n  UPDATE t SET a = 1\n  COMMIT\nEND TRY\nBEGIN CATCH\n  ROLLBACK\nEND CATCH", Tx: engine.TxEnd}}},
		{"save tran", "SAVE TRAN s1\nSAVE TRANSACTION s2", []st{{Text: "SAVE TRAN s1\nSAVE TRANSACTION s2"}}},
		{"set transaction", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", []st{{Text: "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"}}},
		{"begin block", "IF 1 = 1 BEGIN SELECT 1 END", []st{{Text: "IF 1 = 1 BEGIN SELECT 1 END"}}},
		{"begin dialog", "BEGIN DIALOG CONVERSATION @h FROM SERVICE s TO SERVICE 't'", []st{{Text: "BEGIN DIALOG CONVERSATION @h FROM SERVICE s TO SERVICE 't'"}}},
		{"tran words in strings and identifiers", "SELECT 'BEGIN TRAN', [COMMIT], \"ROLLBACK\" -- COMMIT\n/* ROLLBACK */",
			[]st{{Text: "SELECT 'BEGIN TRAN', [COMMIT], \"ROLLBACK\" -- COMMIT\n/* ROLLBACK */"}}},
		{"tran variables", "DECLARE @commit int, @rollback int; SELECT t.commit_ts FROM t", []st{{Text: "DECLARE @commit int, @rollback int; SELECT t.commit_ts FROM t"}}},
		{"qualified name", "SELECT x.rollback FROM x", []st{{Text: "SELECT x.rollback FROM x"}}},
		{"with rollback immediate", "ALTER DATABASE d SET SINGLE_USER WITH ROLLBACK IMMEDIATE", []st{{Text: "ALTER DATABASE d SET SINGLE_USER WITH ROLLBACK IMMEDIATE", NoTx: true}}},
		{"rollback in parentheses", "SELECT (ROLLBACK)", []st{{Text: "SELECT (ROLLBACK)"}}},
		{"exec string", "EXEC('BEGIN TRAN')", []st{{Text: "EXEC('BEGIN TRAN')"}}},
		{"procedure body", "CREATE PROCEDURE p AS\nBEGIN\n  BEGIN TRAN\n  BACKUP DATABASE d TO DISK = 'x'\n  COMMIT\nEND",
			[]st{{Text: "CREATE PROCEDURE p AS\nBEGIN\n  BEGIN TRAN\n  BACKUP DATABASE d TO DISK = 'x'\n  COMMIT\nEND"}}},
		{"create or alter proc body", "-- c\nCREATE OR ALTER PROC dbo.p AS COMMIT", []st{{Text: "-- c\nCREATE OR ALTER PROC dbo.p AS COMMIT"}}},
		{"alter trigger body", "ALTER TRIGGER tr ON t AFTER INSERT AS ROLLBACK", []st{{Text: "ALTER TRIGGER tr ON t AFTER INSERT AS ROLLBACK"}}},
		{"create function body", "create function f() returns int as begin return 1 end", []st{{Text: "create function f() returns int as begin return 1 end"}}},
		{"proc then batch", "CREATE PROC p AS COMMIT\nGO\nCOMMIT", []st{{Text: "CREATE PROC p AS COMMIT"}, {Text: "COMMIT", Line: 3, Tx: engine.TxCommit}}},
		{"begin transaction after comment", "-- open it\nBEGIN TRANSACTION", []st{{Text: "-- open it\nBEGIN TRANSACTION", Tx: engine.TxBegin}}},
		{"commit after comment", "-- done\nCOMMIT", []st{{Text: "-- done\nCOMMIT", Tx: engine.TxCommit}}},
		{"commit transaction", "COMMIT TRANSACTION", []st{{Text: "COMMIT TRANSACTION", Tx: engine.TxCommit}}},
		{"batch opens and commits", "/* batch */ BEGIN TRAN\nINSERT INTO t VALUES (1)\nCOMMIT", []st{{Text: "/* batch */ BEGIN TRAN\nINSERT INTO t VALUES (1)\nCOMMIT", Tx: engine.TxEnd}}},
		{"batch commits and opens again", "BEGIN TRAN\nUPDATE t SET x = 1\nCOMMIT\nBEGIN TRAN\nUPDATE t SET x = 2", []st{{Text: "BEGIN TRAN\nUPDATE t SET x = 1\nCOMMIT\nBEGIN TRAN\nUPDATE t SET x = 2", Tx: engine.TxBegin}}},
		{"rollback then begin", "ROLLBACK\nBEGIN TRAN", []st{{Text: "ROLLBACK\nBEGIN TRAN", Tx: engine.TxBegin}}},
		{"commit inside begin end block", "IF @@TRANCOUNT > 0\nBEGIN\n  COMMIT\nEND", []st{{Text: "IF @@TRANCOUNT > 0\nBEGIN\n  COMMIT\nEND", Tx: engine.TxCommit}}},
		{"begin tran inside begin end block", "BEGIN\n  BEGIN TRANSACTION\nEND", []st{{Text: "BEGIN\n  BEGIN TRANSACTION\nEND", Tx: engine.TxBegin}}},
		{"save tran then commit", "SAVE TRAN s1\nCOMMIT TRAN", []st{{Text: "SAVE TRAN s1\nCOMMIT TRAN", Tx: engine.TxCommit}}},
		// ROLLBACK TRAN name cannot tell a savepoint from a transaction name: taken to end it
		{"rollback to a saved name", "SAVE TRANSACTION s1\nROLLBACK TRANSACTION s1", []st{{Text: "SAVE TRANSACTION s1\nROLLBACK TRANSACTION s1", Tx: engine.TxEnd}}},
		{"tran words in dynamic sql", "EXEC('COMMIT')\nEXEC sp_executesql N'BEGIN TRAN'", []st{{Text: "EXEC('COMMIT')\nEXEC sp_executesql N'BEGIN TRAN'"}}},

		// non-transactional
		{"create database", "CREATE DATABASE d", []st{{Text: "CREATE DATABASE d", NoTx: true}}},
		{"create database if missing", "IF DB_ID('d') IS NULL\n  CREATE DATABASE d", []st{{Text: "IF DB_ID('d') IS NULL\n  CREATE DATABASE d", NoTx: true}}},
		{"drop database after parenthesis", "IF EXISTS (SELECT 1 FROM sys.databases WHERE name = 'd') DROP DATABASE d", []st{{Text: "IF EXISTS (SELECT 1 FROM sys.databases WHERE name = 'd') DROP DATABASE d", NoTx: true}}},
		{"alter database later in batch", "USE master;\nalter database [d] set recovery simple", []st{{Text: "USE master;\nalter database [d] set recovery simple", NoTx: true}}},
		{"create fulltext catalog", "CREATE FULLTEXT CATALOG ftc AS DEFAULT", []st{{Text: "CREATE FULLTEXT CATALOG ftc AS DEFAULT", NoTx: true}}},
		{"create fulltext index", "CREATE FULLTEXT INDEX ON t (a) KEY INDEX pk", []st{{Text: "CREATE FULLTEXT INDEX ON t (a) KEY INDEX pk", NoTx: true}}},
		{"alter fulltext index", "ALTER FULLTEXT INDEX ON t START FULL POPULATION", []st{{Text: "ALTER FULLTEXT INDEX ON t START FULL POPULATION", NoTx: true}}},
		{"drop fulltext catalog", "DROP FULLTEXT CATALOG ftc", []st{{Text: "DROP FULLTEXT CATALOG ftc", NoTx: true}}},
		{"backup", "BACKUP DATABASE d TO DISK = 'd.bak'", []st{{Text: "BACKUP DATABASE d TO DISK = 'd.bak'", NoTx: true}}},
		{"restore", "RESTORE DATABASE d FROM DISK = 'd.bak' WITH REPLACE", []st{{Text: "RESTORE DATABASE d FROM DISK = 'd.bak' WITH REPLACE", NoTx: true}}},
		{"reconfigure", "EXEC sp_configure 'show advanced options', 1;\nRECONFIGURE WITH OVERRIDE", []st{{Text: "EXEC sp_configure 'show advanced options', 1;\nRECONFIGURE WITH OVERRIDE", NoTx: true}}},
		{"exec linked server", "EXEC sp_addlinkedserver @server = N'x'", []st{{Text: "EXEC sp_addlinkedserver @server = N'x'", NoTx: true}}},
		{"execute qualified", "EXECUTE master.dbo.SP_ADDLINKEDSRVLOGIN 'x'", []st{{Text: "EXECUTE master.dbo.SP_ADDLINKEDSRVLOGIN 'x'", NoTx: true}}},
		{"exec bracketed with return value", "DECLARE @r int\nEXEC @r = [sys].[sp_serveroption] 'x', 'rpc', 'true'", []st{{Text: "DECLARE @r int\nEXEC @r = [sys].[sp_serveroption] 'x', 'rpc', 'true'", NoTx: true}}},
		{"exec double dot", "EXEC master..sp_dropdistributor", []st{{Text: "EXEC master..sp_dropdistributor", NoTx: true}}},
		{"exec at end", "exec sp_fulltext_database 'enable'", []st{{Text: "exec sp_fulltext_database 'enable'", NoTx: true}}},
		{"bare procedure name", "sp_replicationdboption @dbname = 'd'", []st{{Text: "sp_replicationdboption @dbname = 'd'", NoTx: true}}},
		{"exec other procedure", "EXEC sp_addlinkedserver_x\nEXEC dbo.sp_addlinkedserver.x\nEXEC sp_rename 'a', 'b'", []st{{Text: "EXEC sp_addlinkedserver_x\nEXEC dbo.sp_addlinkedserver.x\nEXEC sp_rename 'a', 'b'"}}},
		{"exec procedure name as argument", "EXEC p 'sp_addlinkedserver', sp_addlinkedserver", []st{{Text: "EXEC p 'sp_addlinkedserver', sp_addlinkedserver"}}},
		{"exec dynamic", "EXEC (N'CREATE DATABASE d')", []st{{Text: "EXEC (N'CREATE DATABASE d')"}}},
		{"grant permissions", "GRANT CREATE DATABASE, BACKUP DATABASE, BACKUP LOG TO u\nREVOKE GRANT OPTION FOR CREATE DATABASE FROM u\nDENY CREATE FULLTEXT CATALOG TO u\nGRANT ALTER ANY DATABASE TO u\nGRANT EXECUTE ON sp_addlinkedserver TO u",
			[]st{{Text: "GRANT CREATE DATABASE, BACKUP DATABASE, BACKUP LOG TO u\nREVOKE GRANT OPTION FOR CREATE DATABASE FROM u\nDENY CREATE FULLTEXT CATALOG TO u\nGRANT ALTER ANY DATABASE TO u\nGRANT EXECUTE ON sp_addlinkedserver TO u"}}},
		{"grant then create database", "GRANT CREATE TABLE TO u\nCREATE DATABASE d", []st{{Text: "GRANT CREATE TABLE TO u\nCREATE DATABASE d", NoTx: true}}},
		{"database words elsewhere", "SELECT DB_NAME() AS [database]; CREATE INDEX i ON t (a); CREATE TABLE [backup] (a int)",
			[]st{{Text: "SELECT DB_NAME() AS [database]; CREATE INDEX i ON t (a); CREATE TABLE [backup] (a int)"}}},
		{"ddl trigger", "CREATE TRIGGER tr ON ALL SERVER FOR CREATE_DATABASE AS BACKUP DATABASE d TO DISK = 'x'",
			[]st{{Text: "CREATE TRIGGER tr ON ALL SERVER FOR CREATE_DATABASE AS BACKUP DATABASE d TO DISK = 'x'"}}},
		{"both flags", "BEGIN TRAN\nALTER DATABASE d SET TRUSTWORTHY ON\nCOMMIT", []st{{Text: "BEGIN TRAN\nALTER DATABASE d SET TRUSTWORTHY ON\nCOMMIT", NoTx: true, Tx: engine.TxEnd}}},
		{"flags per batch", "CREATE DATABASE d\nGO\nUSE d\nGO\nBEGIN TRAN\nGO",
			[]st{{Text: "CREATE DATABASE d", NoTx: true}, {Text: "USE d", Line: 3}, {Text: "BEGIN TRAN", Line: 5, Tx: engine.TxBegin}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.src)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			harness.CheckStatements(t, tt.src, got)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d batches, want %d:\n%s", len(got), len(tt.want), format(got, nil))
			}
			for i, w := range tt.want {
				g := got[i]
				if w.Line == 0 {
					w.Line = g.Line // checked by checkStatements
				}
				if w.Offset == 0 {
					w.Offset = g.Offset // checked by checkStatements
				}
				if w.Repeat == 0 {
					w.Repeat = 1
				}
				w.TxControl = w.Tx != engine.TxNone
				if g != w {
					t.Errorf("batch %d:\n got  %s %v\n want %s %v", i+1, format([]Statement{g}, nil), g.Tx, format([]Statement{w}, nil), w.Tx)
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
		before int   // batches returned before the error
		line   int   // SplitError.Line
		offset int64 // SplitError.Offset
		msg    string
	}{
		{"unterminated string", "SELECT 1\nGO\nSELECT 'abc\nGO\n", 1, 3, 19, "unterminated quoted string"},
		{"unterminated unicode string", "SELECT N'abc", 0, 1, 7, "unterminated quoted string"},
		{"unterminated string ending in doubled quote", "SELECT 'abc''", 0, 1, 7, "unterminated quoted string"},
		{"unterminated quoted identifier", "SELECT 1 AS \"a\nGO", 0, 1, 12, "unterminated quoted identifier"},
		{"unterminated bracketed identifier", "SELECT 1\nGO\n\nSELECT [a]]\nGO", 1, 4, 20, "unterminated bracketed identifier"},
		{"unterminated comment", "SELECT 1 /* a /* b */\nGO\n", 0, 1, 9, "unterminated /* comment"},
		{"unterminated comment at batch start", "SELECT 1\nGO\n/* x\nGO\n", 1, 3, 12, "unterminated /* comment"},
		{"go count zero", "SELECT 1\nGO\nSELECT 2\nGO 0\n", 1, 4, 24, "GO count 0 out of range (1 to 100000)"},
		{"go count too large", "SELECT 1\n  GO 100001 -- x", 0, 2, 14, "GO count 100001 out of range (1 to 100000)"},
		{"go count huge", "SELECT 1\nGO 123456789012345678901234567890", 0, 2, 12, "GO count 12345678901234567890... out of range (1 to 100000)"},
		{"go count zero on empty batch", "GO 0", 0, 1, 3, "GO count 0 out of range (1 to 100000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.src)
			var se *SplitError
			if !errors.As(err, &se) {
				t.Fatalf("Split error = %v, want a *SplitError", err)
			}
			if len(got) != tt.before {
				t.Errorf("got %d batches before the error, want %d", len(got), tt.before)
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
	s = NewSplitter(strings.NewReader("SELECT 1\nGO\n"))
	s.Next()
	for range 2 {
		if _, err := s.Next(); err != io.EOF {
			t.Fatalf("Next at end = %v, want io.EOF", err)
		}
	}
}

func TestSplitterReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, src := range []string{"SELECT 1\nGO\nSELECT 'abc", "SELECT 1\nGO\nSELECT 2", "SELECT 1\nGO -- x", "SELECT 1\nGO 5", "SELECT [x"} {
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
		{"string", "SELECT '" + r("a''", n/3) + "'\nGO\nSELECT 2"},
		{"brackets", "SELECT [" + r("a]]", n/3) + "]\nGO\nSELECT 2"},
		{"nested comment", "/*" + r("/*", n/2) + r("*/", n/2) + "*/ SELECT 1\nGO"},
		{"word", "SELECT " + r("a", n) + "\nGO"},
		{"line comments", r("-- x\n", n/5) + "SELECT 1"},
		{"go lines", r("GO\n", n/3) + "SELECT 1"},
		{"go blanks", "SELECT 1\nGO" + r(" ", n) + "2" + r(" ", n) + "\nSELECT 2"},
		{"go comment", "SELECT 1\nGO --" + r("x", n) + "\nSELECT 2"},
		{"go count", "SELECT 1\nGO " + r("0", n) + "1\nSELECT 2"},
		{"blank lines", r("\n", n) + "SELECT 1" + r(" \r\n", n)},
		{"batches", r("SELECT 1\nGO\n", n/12)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { harness.CheckOneByte(t, tt.src) })
	}
}

func TestSplitGolden(t *testing.T) {
	harness.Golden(t, *update)
}

// format renders batches and a final error for golden files and messages.
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
		fmt.Fprintf(&b, "-- [%d] offset=%d line=%d repeat=%d flags=%s\n%s\n", i+1, st.Offset, st.Line, st.Repeat, strings.Join(flags, ","), st.Text)
	}
	if err != nil {
		fmt.Fprintf(&b, "-- error: %v\n", err)
	}
	return b.String()
}

// harness holds the checks every splitter's tests share. Besides them,
// every batch has its Repeat in range and its Text is one batch of its own.
var harness = splittest.Harness[Statement]{
	Noun:   "batch",
	Nouns:  "batches",
	Split:  Split,
	Read:   func(r io.Reader) ([]Statement, error) { return splitAll(NewSplitter(r)) },
	Format: format,
	Span: func(st Statement) splittest.Span {
		return splittest.Span{Text: st.Text, Offset: st.Offset, Line: st.Line}
	},
	Tx:    func(st Statement) (bool, engine.TxEffect) { return st.TxControl, st.Tx },
	Batch: true,
	Check: func(t testing.TB, src string, i int, st Statement, end int64) int64 {
		t.Helper()
		if st.Repeat < 1 || st.Repeat > MaxRepeat {
			t.Fatalf("batch %d: Repeat = %d", i+1, st.Repeat)
		}
		if !strings.HasPrefix(st.Text, "\ufeff") {
			again, err := Split(st.Text)
			want := Statement{Text: st.Text, Line: 1, Repeat: 1, NoTx: st.NoTx, TxControl: st.TxControl, Tx: st.Tx}
			if err != nil || len(again) != 1 || again[0] != want {
				t.Fatalf("batch %d: splitting its Text again gives\n%s", i+1, format(again, err))
			}
		}
		return end
	},
}

func splitAll(s *Splitter) ([]Statement, error) { return scan.Split[Statement](s) }

func FuzzSplit(f *testing.F) {
	seeds := []string{
		"SELECT 1\nGO\nSELECT 'a\nGO\n'\nGO 3 -- x\n",
		"SELECT [a]]\nGO\n], \"b\"\"\nGO\n\"\r\ngo\r\n",
		"/* /*\nGO\n*/ */ GOTO x\n GO 0\n",
		"BEGIN TRAN\nEXEC @r = master..sp_addlinkedserver 'x'\nCOMMIT",
		"CREATE OR ALTER PROCEDURE p AS ROLLBACK\nGO 2",
		"\ufeffGO\nSELECT N'x'",
		"SELECT 'a\\\nb' -- c",
	}
	splittest.AddSeeds(f, seeds...)
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Split(src)
		splittest.CheckSplitError(t, src, err, func(se *SplitError) (int64, int) { return se.Offset, se.Line })
		harness.CheckStatements(t, src, stmts)
		harness.CheckChunked(t, src)
	})
}

// genReader generates batches of multi-row INSERT statements, about size
// newGenReader generates batches of multi-row INSERT statements, about
// size bytes.
func newGenReader(size int64) *splittest.BlockReader {
	var b bytes.Buffer
	for i := range 50 {
		b.WriteString("INSERT INTO dbo.events (id, kind, payload) VALUES\n")
		for j := range 20 {
			if j > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, "  (%d, N'click', N'{\"x\": %d, \"note\": \"it''s\nGO\nfine\"}')", i*20+j, j)
		}
		b.WriteString(";\nGO -- batch done\n")
	}
	return splittest.NewBlockReader(b.Bytes(), size) // whole batches only
}

// TestSplitLargeInputMemory splits 20 MB of generated batches and checks
// that the live heap stays far below that.
func TestSplitLargeInputMemory(t *testing.T) {
	const size = 20 << 20
	harness.CheckLargeInput(t, size, func() (*splittest.BlockReader, func() (Statement, error)) {
		r := newGenReader(size)
		return r, NewSplitter(r).Next
	})
}

func BenchmarkSplit(b *testing.B) {
	size := newGenReader(50 << 20).Size
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		s := NewSplitter(newGenReader(size))
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
