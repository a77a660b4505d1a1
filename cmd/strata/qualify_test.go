package main

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

func TestUnqualifiedNames(t *testing.T) {
	fsys := fstest.MapFS{
		"V1__a.sql": {Data: []byte("CREATE TABLE ${strata:schema}.ok (id INT);\nGO\ncreate view bad_view AS SELECT 1 AS x;\nGO\nCREATE TABLE #tmp (id INT);\nCREATE TABLE [dbo].[qualified] (id INT);\nCREATE OR ALTER PROCEDURE loose AS SELECT 1;\n")},
	}
	set, err := locations.Collect([]locations.Root{{Name: "db", FS: fsys}}, locations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := unqualifiedNames(set, placeholders.Syntax{})
	if len(got) != 2 || !strings.HasPrefix(got[0], "db/V1__a.sql:3:1: CREATE VIEW bad_view has no schema") || !strings.Contains(got[1], "CREATE PROCEDURE loose") {
		t.Fatalf("warnings = %q", got)
	}
}
