package placeholders_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stratadb/strata/placeholders"
)

func ExampleExpand() {
	values, err := placeholders.NewValues(
		map[string]string{"app_role": "reader"}, // from strata.hcl
		map[string]string{"APP_ROLE": "writer"}, // --placeholder APP_ROLE=writer wins
	)
	if err != nil {
		panic(err)
	}
	builtins := placeholders.Builtins{Schema: `"acme"`, Tenant: "acme"}
	src := "GRANT SELECT ON ${strata:schema}.orders TO ${App_Role};\n-- $${not_a_placeholder}\n"
	x, err := placeholders.Expand(src, placeholders.Syntax{}, placeholders.Chain(values.Lookup, builtins.Lookup))
	if err != nil {
		panic(err)
	}
	fmt.Print(x.Text)
	fmt.Println(x.Used)
	// Output:
	// GRANT SELECT ON "acme".orders TO writer;
	// -- $${not_a_placeholder}
	// [strata:schema app_role]
}

func ExampleExpansion_SourceOffset() {
	src := "INSERT INTO t VALUES (${rows});\nSELECT oops;\n"
	x, _ := placeholders.Expand(src, placeholders.Syntax{}, placeholders.Values{"rows": "1),\n(2),\n(3"}.Lookup)
	// A database reports an error at this offset of the text it was sent.
	out := strings.Index(x.Text, "oops")
	line, col := placeholders.LineCol(src, x.SourceOffset(out))
	fmt.Printf("line %d, column %d\n", line, col)
	// Output: line 2, column 8
}

func ExampleNewReader() {
	src := strings.NewReader("CREATE TABLE #[schema].t (id int);\nGRANT ALL ON #[schema].t TO #[role];\n")
	r := placeholders.NewReader(src, placeholders.Syntax{Prefix: "#[", Suffix: "]"}, placeholders.Values{"schema": "app"}.Lookup)
	_, err := io.Copy(os.Stdout, r)
	var undefined *placeholders.UndefinedError
	if errors.As(err, &undefined) {
		fmt.Println(err)
		fmt.Println(undefined.Hint())
	}
	// Output:
	// CREATE TABLE app.t (id int);
	// GRANT ALL ON app.t TO #[role];
	// undefined placeholder #[role] at line 2, column 29
	// define it in placeholders { values = { role = "..." } } or pass --placeholder role=value
}

func ExampleScan() {
	for _, ref := range placeholders.Scan("SELECT ${a}, '${ b }', $${c};\n  ${flyway:user}", placeholders.Syntax{}) {
		fmt.Printf("%s at %d:%d\n", ref.Name, ref.Line, ref.Column)
	}
	// Output:
	// a at 1:8
	// flyway:user at 2:3
}
