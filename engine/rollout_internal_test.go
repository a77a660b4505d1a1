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
	}, all, nil)
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

	got, err = assignWaves([]Wave{{Name: "a", Count: 20}, {Name: "b"}}, all, nil)
	if err != nil || len(got) != 2 || len(got[0].Targets) != 10 || len(got[1].Targets) != 0 {
		t.Errorf("a count above the tenants takes them all, the rest is empty: %+v, %v", got, err)
	}
	if _, err := assignWaves([]Wave{{Name: "canary", Schemas: []string{"t1", "nope"}}}, all, nil); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a wave naming an unknown tenant must fail naming it, got %v", err)
	}
}

// TestAssignWavesQueryAndKeys: a query wave takes the candidates its query
// returned, among those left; with keys (a fleet's instance/name), a named
// tenant is taken on every instance that holds it, and count and percent
// count candidates, not names.
func TestAssignWavesQueryAndKeys(t *testing.T) {
	// What the beta wave's query returned on each instance.
	queried := map[string]map[string]map[string]bool{"a": {}, "b": {}}
	c := func(inst, name string, waves ...string) WaveCandidate {
		for _, w := range waves {
			if queried[inst][w] == nil {
				queried[inst][w] = map[string]bool{}
			}
			queried[inst][w][name] = true
		}
		return WaveCandidate{Key: inst + "/" + name, Name: name, Queried: queried[inst]}
	}
	all := []WaveCandidate{c("a", "t1"), c("b", "t1"), c("a", "t2", "beta"), c("b", "t3", "beta"), c("a", "t4"), c("b", "t5"), c("a", "t6", "beta")}
	got, err := AssignWaves([]Wave{
		{Name: "canary", Schemas: []string{"t1"}},
		{Name: "beta", Query: "SELECT ...", MaxFailuresPercent: 50},
		{Name: "one", Count: 1},
	}, all)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, w := range got {
		fmt.Fprintf(&b, "%d %s %v\n", w.Number, w.Name, w.Targets)
	}
	want := "1 canary [a/t1 b/t1]\n2 beta [a/t2 b/t3 a/t6]\n3 one [a/t4]\n4 rest [b/t5]\n"
	if b.String() != want {
		t.Errorf("waves:\n%s\nwant:\n%s", b.String(), want)
	}
	if n := WaveBudget(Wave{MaxFailuresPercent: 50}, 3); n != 1 {
		t.Errorf("50%% of 3 tenants, rounded down: got %d, want 1", n)
	}
	if n := WaveBudget(Wave{MaxFailures: 2}, 3); n != 2 {
		t.Errorf("max_failures 2: got %d", n)
	}
}
