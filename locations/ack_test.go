package locations

import (
	"errors"
	"strings"
	"testing"
)

func TestLocationSumRoundTrip(t *testing.T) {
	set, err := Collect([]Root{
		{Name: "common", FS: mapFS(
			"V1__a.sql", "SELECT 1;",
			"V2__b.sql", "SELECT 2;",
			"sub/R__v.sql", "SELECT 'v';",
			"afterMigrate.sql", "SELECT 'after';",
			"strata.sum", "ignored by Collect",
			"bad name.sql", "skipped with a warning",
		)},
		{Name: "prod", Override: true, FS: mapFS("V2__b.sql", "SELECT 'prod';")},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	common := set.LocationSum("common")
	var scripts []string
	for _, e := range common.Entries {
		scripts = append(scripts, e.Script)
	}
	// The replaced V2 stays in its own location's sum.
	if got := strings.Join(scripts, ","); got != "V1__a.sql,V2__b.sql,afterMigrate.sql,sub/R__v.sql" {
		t.Errorf("common sum lists %s", got)
	}
	if p := set.LocationSum("prod"); len(p.Entries) != 1 || p.Entries[0].Checksum != checksumOf(t, "SELECT 'prod';") {
		t.Errorf("prod sum = %+v", p)
	}
	parsed, err := ParseSum("common/strata.sum", common.Format())
	if err != nil {
		t.Fatal(err)
	}
	if changes := CompareSums("common", parsed, common); len(changes) != 0 {
		t.Errorf("round trip changed: %+v", changes)
	}
}

func TestCompareSums(t *testing.T) {
	acked := Sum{Entries: []SumEntry{{"V1__a.sql", 1}, {"V2__b.sql", 2}, {"V3__c.sql", 3}}}
	now := Sum{Entries: []SumEntry{{"V1__a.sql", 1}, {"V2__b.sql", 20}, {"V4__d.sql", 4}}}
	changes := CompareSums("db", acked, now)
	var got []string
	for _, c := range changes {
		got = append(got, c.Kind+" "+c.Path())
	}
	if strings.Join(got, "; ") != "edited db/V2__b.sql; removed db/V3__c.sql; added db/V4__d.sql" {
		t.Errorf("changes: %v", got)
	}
	msg := (&AckError{Changes: changes}).Error()
	for _, want := range []string{"3 migration files changed since the last strata ack", "edited:  db/V2__b.sql (checksum 2 acknowledged, now 20)", "removed: db/V3__c.sql", "added:   db/V4__d.sql", "run strata ack"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestParseSumRefuses(t *testing.T) {
	good := string(Sum{Entries: []SumEntry{{"V1__a.sql", 1}, {" odd name .sql", -5}}}.Format())
	if s, err := ParseSum("x", []byte(good)); err != nil || len(s.Entries) != 2 || s.Entries[0].Script != " odd name .sql" {
		t.Fatalf("good file: %+v, %v", s, err)
	}
	tests := map[string]struct{ text, reason string }{
		"edited by hand":   {strings.Replace(good, "V1__a.sql 1", "V1__a.sql 2", 1), "hash does not match"},
		"conflict markers": {"<<<<<<< HEAD\n" + good + "=======\n>>>>>>> other\n", "merge conflict markers"},
		"no hash":          {"V1__a.sql 1\n", "no hash line"},
		"bad checksum":     {"V1__a.sql one\n", "is not a checksum"},
		"no checksum":      {"V1__a.sql\n", "not a line of the form"},
		"after the hash":   {good + "V9__z.sql 9\n", "after the hash"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSum("db/strata.sum", []byte(tt.text))
			var se *SumError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), "run strata ack") {
				t.Errorf("got %v, want a *SumError with %q", err, tt.reason)
			}
		})
	}
}
