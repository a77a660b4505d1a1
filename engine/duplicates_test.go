package engine

import (
	"strings"
	"testing"

	"github.com/stratadb/strata/schemas"
)

func TestDuplicateRows(t *testing.T) {
	row := func(rank int64, version, typ string, ok bool) HistoryRow {
		return HistoryRow{InstalledRank: rank, Version: version, Type: typ, Script: "V" + version + "__a.sql", Success: ok}
	}
	tests := []struct {
		name string
		rows []HistoryRow
		want []string // "rank,rank" per finding
	}{
		{"none", []HistoryRow{row(1, "1", TypeSQL, true), row(2, "2", TypeSQL, true)}, nil},
		{"hand-inserted copy", []HistoryRow{row(1, "1", TypeSQL, true), row(2, "2", TypeSQL, true), row(3, "1", TypeSQL, true)}, []string{"installed_rank 1 (V1__a.sql) and installed_rank 3"}},
		{"same version written differently", []HistoryRow{row(1, "1.0", TypeSQL, true), row(2, "01", TypeSQL, true)}, []string{"installed_rank 1 (V1.0__a.sql) and installed_rank 2"}},
		{"undone then applied again", []HistoryRow{row(1, "1", TypeSQL, true), row(2, "1", TypeUndoSQL, true), row(3, "1", TypeSQL, true)}, nil},
		{"deleted then applied again", []HistoryRow{row(1, "1", TypeSQL, true), row(2, "1", TypeDelete, true), row(3, "1", TypeSQL, true)}, nil},
		{"failed row then success", []HistoryRow{row(1, "1", TypeSQL, false), row(2, "1", TypeSQL, true)}, nil},
		{"baseline marker and migration", []HistoryRow{row(1, "1", TypeBaseline, true), row(2, "1", TypeSQL, true)}, nil},
		{"three copies", []HistoryRow{row(1, "1", TypeSQL, true), row(2, "1", TypeSQL, true), row(3, "1", TypeSQL, true)},
			[]string{"installed_rank 1 (V1__a.sql) and installed_rank 2", "installed_rank 1 (V1__a.sql) and installed_rank 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := duplicateRows(schemas.Target{Name: "main"}, tt.rows)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings %v, want %d", len(got), got, len(tt.want))
			}
			for i, f := range got {
				if f.Code != "DUPLICATE_APPLIED_MIGRATION" || f.Target != "main" || !strings.Contains(f.Message, tt.want[i]) {
					t.Errorf("finding %d = %+v, want code DUPLICATE_APPLIED_MIGRATION and %q", i, f, tt.want[i])
				}
			}
		})
	}
}
