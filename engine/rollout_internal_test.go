package engine

import (
	"fmt"
	"strings"
	"testing"
)

// TestAssignWaves: each tenant goes to the first wave that selects it,
// among those earlier waves left, in the source's order; percentages round
// up; the tenants no wave selects form a last wave "rest".
func TestAssignWaves(t *testing.T) {
	all := []string{"t1", "eu_1", "t2", "eu_2", "t3", "t4", "t5", "t6", "t7", "t8"}
	got, err := assignWaves([]Wave{
		{Name: "canary", Schemas: []string{"t3", "t3"}},
		{Name: "eu", Pattern: "eu_*"},
		{Name: "ten", Percent: 10}, // 10% of 7 left: 0.7, rounded up to 1
		{Name: "two", Count: 2},
	}, all)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, w := range got {
		fmt.Fprintf(&b, "%d %s %v\n", w.Number, w.Name, w.Targets)
	}
	want := "1 canary [t3]\n2 eu [eu_1 eu_2]\n3 ten [t1]\n4 two [t2 t4]\n5 rest [t5 t6 t7 t8]\n"
	if b.String() != want {
		t.Errorf("waves:\n%s\nwant:\n%s", b.String(), want)
	}

	got, err = assignWaves([]Wave{{Name: "a", Count: 20}, {Name: "b"}}, all)
	if err != nil || len(got) != 2 || len(got[0].Targets) != 10 || len(got[1].Targets) != 0 {
		t.Errorf("a count above the tenants takes them all, the rest is empty: %+v, %v", got, err)
	}
	if _, err := assignWaves([]Wave{{Name: "canary", Schemas: []string{"t1", "nope"}}}, all); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a wave naming an unknown tenant must fail naming it, got %v", err)
	}
}
