package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stratadb/strata/locations"
)

func file(t *testing.T, kind locations.Kind, version, desc string, checksum int32) *locations.File {
	t.Helper()
	f := &locations.File{Name: locations.Name{Kind: kind, Description: desc}, Checksum: checksum, Location: "db"}
	prefix := map[locations.Kind]string{locations.Versioned: "V", locations.Baseline: "B", locations.Undo: "U", locations.Repeatable: "R"}[kind]
	if version != "" {
		v, err := locations.ParseVersion(version)
		if err != nil {
			t.Fatal(err)
		}
		f.Version = v
	}
	f.Script = prefix + version + "__" + strings.ReplaceAll(desc, " ", "_") + ".sql"
	return f
}

func row(rank int64, typ, version, desc string, checksum int32, success bool) HistoryRow {
	c := checksum
	return HistoryRow{InstalledRank: rank, Type: typ, Version: version, Description: desc, Checksum: &c, Success: success, FailedStatement: -1}
}

func summary(ts *targetState) string {
	var b strings.Builder
	for _, e := range ts.entries {
		id := string(e.Category[:min(1, len(e.Category))]) + e.Version
		if e.Version == "" {
			id = "R:" + e.Description
		}
		fmt.Fprintf(&b, "%s=%s ", id, e.State)
	}
	b.WriteString("| pending:")
	for _, e := range ts.pending {
		id := e.Version
		if id == "" {
			id = "R:" + e.Description
		}
		b.WriteString(" " + id)
	}
	return b.String()
}

func TestComputeStates(t *testing.T) {
	V := func(v string) resolved { return resolved{file: file(t, locations.Versioned, v, "v"+v, 1), checksum: 1} }
	B := func(v string) resolved { return resolved{file: file(t, locations.Baseline, v, "b"+v, 1), checksum: 1} }
	U := func(v string) resolved { return resolved{file: file(t, locations.Undo, v, "v"+v, 1), checksum: 1} }
	R := func(d string, c int32) resolved {
		return resolved{file: file(t, locations.Repeatable, "", d, c), checksum: c}
	}
	ok := func(rank int64, v string) HistoryRow { return row(rank, TypeSQL, v, "v"+v, 1, true) }
	latest := targetRef{kind: "latest"}
	allow := func(locations.Version) bool { return true }
	tests := []struct {
		name string
		in   stateInput
		want string
	}{
		{
			name: "empty history",
			in:   stateInput{versioned: []resolved{V("1"), V("2")}, target: latest},
			want: "V1=Pending V2=Pending | pending: 1 2",
		},
		{
			name: "one applied",
			in:   stateInput{versioned: []resolved{V("1"), V("2")}, rows: []HistoryRow{ok(1, "1")}, target: latest},
			want: "V1=Success V2=Pending | pending: 2",
		},
		{
			name: "gap refused without out of order",
			in:   stateInput{versioned: []resolved{V("1"), V("2"), V("3")}, rows: []HistoryRow{ok(1, "1"), ok(2, "3")}, target: latest},
			want: "V1=Success V3=Success V2=Ignored | pending:",
		},
		{
			name: "gap allowed as hotfix",
			in:   stateInput{versioned: []resolved{V("1"), V("2"), V("3")}, rows: []HistoryRow{ok(1, "1"), ok(2, "3")}, target: latest, allowOOO: allow},
			want: "V1=Success V3=Success V2=Pending | pending: 2",
		},
		{
			name: "applied out of order",
			in:   stateInput{versioned: []resolved{V("1"), V("2"), V("3")}, rows: []HistoryRow{ok(1, "1"), ok(2, "3"), ok(3, "2")}, target: latest},
			want: "V1=Success V3=Success V2=Out of Order | pending:",
		},
		{
			name: "versions compare numerically",
			in:   stateInput{versioned: []resolved{V("1.9"), V("1.10"), V("1.10.1")}, rows: []HistoryRow{ok(1, "1.9")}, target: latest},
			want: "V1.9=Success V1.10=Pending V1.10.1=Pending | pending: 1.10 1.10.1",
		},
		{
			name: "failed row",
			in:   stateInput{versioned: []resolved{V("1"), V("2")}, rows: []HistoryRow{ok(1, "1"), row(2, TypeSQL, "2", "v2", 1, false)}, target: latest},
			want: "V1=Success V2=Failed | pending:",
		},
		{
			name: "missing and future",
			in:   stateInput{versioned: []resolved{V("2")}, rows: []HistoryRow{ok(1, "1"), ok(2, "2"), ok(3, "3")}, target: latest},
			want: "V1=Missing V2=Success V3=Future | pending:",
		},
		{
			name: "target stops",
			in:   stateInput{versioned: []resolved{V("1"), V("2"), V("3")}, target: targetRef{kind: "version", version: mustVersion(t, "2")}},
			want: "V1=Pending V2=Pending V3=Above Target | pending: 1 2",
		},
		{
			name: "target next",
			in:   stateInput{versioned: []resolved{V("1"), V("2")}, target: targetRef{kind: "next"}},
			want: "V1=Pending V2=Pending | pending: 1",
		},
		{
			name: "baseline row",
			in: stateInput{versioned: []resolved{V("3"), V("5"), V("6")}, target: latest,
				rows: []HistoryRow{{InstalledRank: 1, Type: TypeBaseline, Version: "5", Description: "<< Flyway Baseline >>", Success: true}}},
			want: "V3=Below Baseline 5=Baseline V5=Ignored (Baseline) V6=Pending | pending: 6",
		},
		{
			name: "baseline migration on an empty target",
			in:   stateInput{versioned: []resolved{V("1"), V("5"), V("6")}, baselines: []resolved{B("3"), B("5")}, target: latest},
			want: "V1=Below Baseline B3=Below Baseline V5=Ignored (Baseline) B5=Pending V6=Pending | pending: 5 6",
		},
		{
			name: "undone migration is pending again",
			in: stateInput{versioned: []resolved{V("1"), V("2")}, undos: []resolved{U("2")}, target: latest,
				rows: []HistoryRow{ok(1, "1"), ok(2, "2"), row(3, TypeUndoSQL, "2", "v2", 1, true)}},
			want: "V1=Success V2=Undone U2=Success V2=Pending | pending: 2",
		},
		{
			name: "deleted row",
			in: stateInput{versioned: []resolved{V("1")}, target: latest,
				rows: []HistoryRow{ok(1, "1"), ok(2, "2"), row(3, TypeDelete, "2", "v2", 1, true)}},
			want: "V1=Success V2=Deleted | pending:",
		},
		{
			name: "jdbc row is not missing",
			in:   stateInput{versioned: []resolved{V("2")}, rows: []HistoryRow{row(1, "JDBC", "1", "java", 0, true), ok(2, "2")}, target: latest},
			want: "V1=Success V2=Success | pending:",
		},
		{
			name: "type edited by hand matches the file of its version",
			in:   stateInput{versioned: []resolved{V("1"), V("2")}, rows: []HistoryRow{row(1, "JDBC", "1", "v1", 1, true), ok(2, "2")}, target: latest},
			want: "V1=Success V2=Success | pending:",
		},
		{
			name: "repeatables",
			in: stateInput{repeatables: []resolved{R("same", 7), R("changed", 9), R("new", 1)}, target: latest,
				rows: []HistoryRow{row(1, TypeSQL, "", "same", 7, true), row(2, TypeSQL, "", "changed", 5, true), row(3, TypeSQL, "", "changed", 8, true)}},
			want: "R:same=Success R:changed=Superseded R:changed=Outdated R:changed=Pending R:new=Pending | pending: R:changed R:new",
		},
		{
			name: "repeatable raw checksum accepted",
			in: stateInput{repeatables: []resolved{{file: file(t, locations.Repeatable, "", "views", 3), checksum: 4}}, target: latest,
				rows: []HistoryRow{row(1, TypeSQL, "", "views", 3, true)}},
			want: "R:views=Success | pending:",
		},
		{
			name: "versioned before repeatables",
			in:   stateInput{versioned: []resolved{V("1")}, repeatables: []resolved{R("a", 1)}, target: latest},
			want: "V1=Pending R:a=Pending | pending: 1 R:a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := computeStates(tt.in)
			if ts.corrupt != nil {
				t.Fatalf("corrupt: %v", ts.corrupt)
			}
			if got := strings.TrimSpace(summary(ts)); got != tt.want {
				t.Fatalf("\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestComputeStatesCorruptDelete(t *testing.T) {
	rows := []HistoryRow{row(1, TypeSQL, "1", "a", 1, true), row(2, TypeDelete, "1", "a", 1, true), row(3, TypeDelete, "1", "a", 1, true)}
	// The second DELETE finds no live row left to delete: not corrupt, ignored.
	if ts := computeStates(stateInput{rows: rows, target: targetRef{kind: "latest"}}); ts.corrupt != nil {
		t.Fatalf("unexpected corruption: %v", ts.corrupt)
	}
}

func mustVersion(t *testing.T, s string) locations.Version {
	v, err := locations.ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestIgnorePatterns(t *testing.T) {
	ps, err := parseIgnorePatterns([]string{"*:missing, repeatable:pending"})
	if err != nil {
		t.Fatal(err)
	}
	v := &Entry{Category: CategoryVersioned}
	r := &Entry{Category: CategoryRepeatable}
	cases := []struct {
		e    *Entry
		st   State
		want bool
	}{
		{v, StateMissing, true}, {v, StateFailedMissing, false}, {v, StatePending, false}, {r, StatePending, true}, {r, StateMissing, true},
	}
	for _, c := range cases {
		if got := ignored(ps, c.e, c.st); got != c.want {
			t.Errorf("ignored(%s, %s) = %v, want %v", c.e.Category, c.st, got, c.want)
		}
	}
	for _, bad := range []string{"missing", "x:missing", "*:gone"} {
		if _, err := parseIgnorePatterns([]string{bad}); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
}

func TestComputeStatesDiscarded(t *testing.T) {
	V := func(v string) resolved { return resolved{file: file(t, locations.Versioned, v, "v"+v, 1), checksum: 1} }
	ok := func(rank int64, v string) HistoryRow { return row(rank, TypeSQL, v, "v"+v, 1, true) }
	undo := func(rank int64, v, mark string) HistoryRow {
		r := row(rank, TypeUndoSQL, v, "v"+v, 2, true)
		r.Mark = mark
		return r
	}
	U2 := resolved{file: file(t, locations.Undo, "2", "v2", 2), checksum: 2}
	latest := targetRef{kind: "latest"}
	only2 := func(v locations.Version) bool { return v.String() == "2" }
	tests := []struct {
		name    string
		rows    []HistoryRow
		include func(locations.Version) bool
		want    string
	}{
		{"undone: pending again", []HistoryRow{ok(1, "1"), ok(2, "2"), undo(3, "2", "")}, nil,
			"V1=Success V2=Undone U2=Success V2=Pending | pending: 2"},
		{"discarded: not pending", []HistoryRow{ok(1, "1"), ok(2, "2"), undo(3, "2", MarkDiscard)}, nil,
			"V1=Success V2=Undone U2=Success V2=Discarded | pending:"},
		{"discarded, included: pending", []HistoryRow{ok(1, "1"), ok(2, "2"), undo(3, "2", MarkDiscard)}, only2,
			"V1=Success V2=Undone U2=Success V2=Pending | pending: 2"},
		{"discarded, applied again", []HistoryRow{ok(1, "1"), ok(2, "2"), undo(3, "2", MarkDiscard), ok(4, "2")}, nil,
			"V1=Success V2=Undone U2=Success V2=Success | pending:"},
		{"discarded, applied again, undone plainly", []HistoryRow{ok(1, "1"), ok(2, "2"), undo(3, "2", MarkDiscard), ok(4, "2"), undo(5, "2", "")}, nil,
			"V1=Success V2=Undone U2=Success V2=Undone U2=Success V2=Pending | pending: 2"},
		{"discarded below an applied version", []HistoryRow{ok(1, "1"), ok(2, "2"), undo(3, "2", MarkDiscard), ok(4, "3")}, nil,
			"V1=Success V2=Undone U2=Success V3=Success V2=Discarded | pending:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := computeStates(stateInput{versioned: []resolved{V("1"), V("2"), V("3")}[:2+boolInt(strings.Contains(tt.name, "below"))],
				undos: []resolved{U2}, rows: tt.rows, target: latest, includeDiscarded: tt.include})
			if got := strings.TrimSpace(summary(ts)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
