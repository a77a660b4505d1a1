package sqlserver

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/splittest"
)

func golden(t *testing.T, name, got string) {
	t.Helper()
	splittest.GoldenSQL(t, name, got, *update)
}

// dialect returns a dialect that knows its database, as after Describe.
func dialect(db string) *Dialect { return &Dialect{db: db} }

func TestGoldenSQL(t *testing.T) {
	d := dialect("shop]db")
	tables := engine.Tables{Schema: "app", History: "strata_schema_history"}
	golden(t, "create_tables", strings.Join(d.CreateTables(tables), "\nGO\n")+"\n")
	var up []string
	for from := 1; from < engine.Layout; from++ {
		up = append(up, d.UpgradeTables(tables, from)...)
	}
	golden(t, "upgrade_tables", strings.Join(up, "\nGO\n")+"\n")
	golden(t, "create_schema", d.CreateSchema(`we]ird`)+"\n")
	golden(t, "lock", d.lockSQL(0x7fffffff01020304, 1500*time.Millisecond)+"\n"+d.unlockSQL(-42)+"\n")
	golden(t, "session", strings.Join(d.SessionSetup(engine.Session{LockTimeout: "5s"}, engine.ScopeTransaction), "\n")+"\n"+strings.Join(d.ResetSession(), "\n")+"\n")
}

func TestQuoting(t *testing.T) {
	d := dialect("shop")
	tests := map[string]string{
		d.Quote("a]b"):                       "[a]]b]",
		d.Literal("it's ünï"):                "N'it''s ünï'",
		d.Table("app", "t"):                  "[shop].[app].[t]",
		d.Table("", "t"):                     "[shop].[dbo].[t]",
		dialect("").Table("app", "t"):        "[app].[t]",
		d.Table(`x]; DROP TABLE y; --`, "t"): "[shop].[x]]; DROP TABLE y; --].[t]",
	}
	for got, want := range tests {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestRepeatedBatches(t *testing.T) {
	sr := (&Dialect{}).Split(strings.NewReader("INSERT INTO t VALUES (1)\nGO 3\nSELECT 2\n"))
	var got []string
	for {
		st, err := sr.Next()
		if err != nil {
			break
		}
		got = append(got, fmt.Sprintf("%d:%s", st.Line, st.Text))
	}
	want := "1:INSERT INTO t VALUES (1),1:INSERT INTO t VALUES (1),1:INSERT INTO t VALUES (1),3:SELECT 2"
	if strings.Join(got, ",") != want {
		t.Fatalf("batches = %v, want %s", got, want)
	}
}

func TestErrorLineInBatch(t *testing.T) {
	batch := "CREATE TABLE t (id INT)\n\nINSERT INTO t VALUES ('x')\n"
	err := fmt.Errorf("exec: %w", mssql.Error{Number: 245, LineNo: 3, Message: "Conversion failed"})
	ee := execError(2, batch, 100, err)
	if ee.Part != 2 || ee.Code != "245" || ee.Offset != 100+int64(strings.Index(batch, "INSERT")) {
		t.Fatalf("exec error = %+v", ee)
	}
	if !errors.Is(ee, err) {
		t.Fatal("the driver's error is not wrapped")
	}
	// Without a line number the batch start is the position.
	ee = execError(0, batch, 7, errors.New("network"))
	if ee.Offset != 7 {
		t.Fatalf("offset = %d, want the batch start", ee.Offset)
	}
}

func TestElapsedMarkerReplaced(t *testing.T) {
	d := &Dialect{}
	start := time.Now().Add(-1500 * time.Millisecond)
	q := "INSERT INTO h (execution_time) VALUES (" + d.Elapsed(start) + ")"
	out := elapsedMarker.ReplaceAllStringFunc(q, func(m string) string { return "X" })
	if out != "INSERT INTO h (execution_time) VALUES (X)" {
		t.Fatalf("marker not found in %s", q)
	}
}
