package pgsql_test

import (
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/stratadb/strata/internal/pgsql"
	"github.com/stratadb/strata/placeholders"
)

func TestParse(t *testing.T) {
	src := "-- header\nCREATE TABLE ${schema}.a (id int);\n\n  /* c */ CREATE INDEX é_i ON ${schema}.a (id);\n"
	s, err := pgsql.Parse(src, placeholders.Syntax{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Statements) != 2 {
		t.Fatalf("%d statements, want 2", len(s.Statements))
	}
	if got := s.Text(s.Statements[0]); got != "CREATE TABLE ${schema}.a (id int)" {
		t.Errorf("first statement %q", got)
	}
	if line, col := s.Pos(s.Statements[1].Offset); line != 4 || col != 11 {
		t.Errorf("second statement at %d:%d, want 4:11", line, col)
	}
	rel := s.Statements[0].Node.GetCreateStmt().Relation
	if !s.Masked(rel.Schemaname) || s.Restore(rel.Schemaname) != "${schema}" {
		t.Errorf("schema %q restores to %q", rel.Schemaname, s.Restore(rel.Schemaname))
	}
	out, err := s.Deparse(&pg.Node{Node: &pg.Node_DropStmt{DropStmt: &pg.DropStmt{RemoveType: pg.ObjectType_OBJECT_TABLE,
		Objects: []*pg.Node{pg.MakeListNode([]*pg.Node{pg.MakeStrNode(rel.Schemaname), pg.MakeStrNode("a")})}, Behavior: pg.DropBehavior_DROP_RESTRICT}}})
	if err != nil || out != "DROP TABLE ${schema}.a" {
		t.Errorf("Deparse = %q, %v", out, err)
	}
}

// TestParseErrors keeps the statements around one the parser refuses, and
// places the error at PostgreSQL's cursor.
func TestParseErrors(t *testing.T) {
	src := "CREATE TABLE a (id int);\nCREAT TABLE b (id int);\nCREATE TABLE c (id int);\n"
	s, err := pgsql.Parse(src, placeholders.Syntax{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Statements) != 3 || s.Statements[1].Err == nil || s.Statements[0].Err != nil || s.Statements[2].Err != nil {
		t.Fatalf("statements %+v, want the second refused", s.Statements)
	}
	if line, col := s.Pos(s.Statements[1].Err.Offset); line != 2 || col != 1 || !strings.Contains(s.Statements[1].Err.Msg, `"CREAT"`) {
		t.Errorf("error %q at %d:%d, want line 2, column 1", s.Statements[1].Err.Msg, line, col)
	}
	if s.Statements[2].Node.GetCreateStmt().GetRelation().GetRelname() != "c" {
		t.Errorf("third statement not parsed after the error")
	}
}

// TestCopyData: the data of COPY ... FROM STDIN is not SQL.
func TestCopyData(t *testing.T) {
	src := "COPY t (a, b) FROM stdin;\n1\tone\n2\ttwo\n\\.\nCREATE TABLE u (id int);\n"
	s, err := pgsql.Parse(src, placeholders.Syntax{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Statements) != 2 || s.Statements[0].Err != nil || s.Statements[1].Err != nil {
		t.Fatalf("statements %+v, want COPY and CREATE TABLE", s.Statements)
	}
	if line, _ := s.Pos(s.Statements[1].Offset); line != 5 {
		t.Errorf("CREATE TABLE on line %d, want 5", line)
	}
}

// TestCustomPlaceholders masks the env's own placeholder syntax.
func TestCustomPlaceholders(t *testing.T) {
	s, err := pgsql.Parse("CREATE TABLE #[tenant].t (id int)", placeholders.Syntax{Prefix: "#[", Suffix: "]"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Statements[0].Err != nil {
		t.Fatal(s.Statements[0].Err)
	}
	if got := s.Restore(s.Statements[0].Node.GetCreateStmt().Relation.Schemaname); got != "#[tenant]" {
		t.Errorf("schema restores to %q", got)
	}
}
