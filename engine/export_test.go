package engine

import (
	"strings"
	"time"
)

// RenderStore renders every statement of the store on d's tables with fixed
// inputs, one statement a paragraph, for the golden files of store_test.go.
func RenderStore(d Dialect, t Tables) string {
	s := store{d: d, t: t}
	sum := int32(-1234567)
	row := HistoryRow{Version: "1.2", Description: "add o'clock", Type: TypeSQL, Script: "V1_2__add_o'clock.sql", Checksum: &sum,
		InstalledBy: "ci", Success: true, Tenant: "acme", VersionKey: "00000000000000000001.00000000000000000002", FailedStatement: -1}
	partial := row
	partial.Success, partial.Checksum, partial.Error, partial.FailedStatement, partial.Progress, partial.ExecutionTime = false, nil, "boom", 3, 2, 42
	fp := uint64(0xfeedface)
	var out []string
	add := func(name, q string) { out = append(out, "-- "+name+"\n"+q+";\n") }
	add("select history, layout 1, all tenants", s.selectHistory(1, ""))
	add("select history, one tenant", s.selectHistory(Layout, s.historyWhereTenant("acme")))
	add("select history, several tenants", s.selectHistory(Layout, s.historyWhereTenants([]string{"acme", "o'brien"})))
	add("insert history", s.insertHistory(row, d.Elapsed(time.Time{})))
	add("insert history, returning its execution time", s.insertHistoryReturning(row, d.Elapsed(time.Time{}), "strata_execution_time"))
	add("insert history, failed partial run", s.insertHistory(partial, "0"))
	skipped := row
	skipped.Mark = MarkSkip
	add("insert history, marked applied without running", s.insertHistory(skipped, "0"))
	undo := row
	undo.Type = TypeUndoSQL
	discarding := store{d: d, t: t, undoMark: MarkDiscard}
	add("insert history, undo row of undo --discard", discarding.insertHistory(undo, "0"))
	add("insert adopted, installed_on text", s.insertAdopted(partial, "2024-01-02 03:04:05"))
	add("insert adopted, installed_on time", s.insertAdopted(row, time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC)))
	add("insert adopted, installed_on NULL", s.insertAdopted(row, nil))
	add("select last rank", s.selectLastRank("acme"))
	add("update progress", s.updateProgress(7, 2, "", -1, s.statementChecksums("1a2b,3c4d")))
	add("update progress, failure", s.updateProgress(7, -1, "syntax error at 'x'", 2, s.statementChecksums("")))
	add("mark succeeded", s.markSucceeded(7, 5, &sum, 1500*time.Millisecond))
	add("delete history row", s.deleteHistoryRow(7))
	add("align history row", s.alignHistoryRow(7, "renamed", TypeSQL, sum))
	add("select schema markers", s.selectSchemaMarkers())
	add("set marker script", s.setMarkerScript(3, `"a","b"`))
	add("select adopted tenants", s.selectAdoptedTenants())
	add("count adopted", s.countAdopted("acme"))
	for _, q := range s.forgetTargets([]string{"acme", "beta"}) {
		add("forget targets", q)
	}
	add("insert state row", s.insertStateRow("acme"))
	add("select states", s.selectStates())
	add("select generation", s.selectGeneration("acme"))
	add("generation is (guard condition)", "SELECT 1 WHERE "+s.generationIs("acme", 41))
	add("update state, migration applied", s.updateState("acme", stateUpdate{fingerprint: &fp, addApplied: true, failed: ptr(false), setError: true, nextGeneration: true}))
	add("update state, migration applied with a higher version", s.updateState("acme", stateUpdate{setVersion: true, version: row.Version, versionKey: row.VersionKey,
		fingerprint: &fp, addApplied: true, failed: ptr(false), setError: true, nextGeneration: true}))
	add("update state, failed", s.updateState("acme", stateUpdate{failed: ptr(true), setError: true, errText: "rolled back: boom"}))
	add("update state, baseline on migrate", s.updateState("acme", stateUpdate{setVersion: true, version: "1", versionKey: "00000000000000000001",
		fingerprint: ptr(uint64(0)), nextGeneration: true}))
	add("update state, refreshed from an empty history", s.updateState("acme", stateUpdate{setVersion: true, fingerprint: ptr(uint64(0)), failed: ptr(false),
		setError: true, nextGeneration: true}))
	add("update state, adopted", s.updateState("acme", stateUpdate{setVersion: true, version: row.Version, versionKey: row.VersionKey, fingerprint: &fp,
		setApplied: true, applied: 12, failed: ptr(true), setError: true, nextGeneration: true}))
	add("insert layout", s.insertLayout())
	add("select layout", s.selectLayout())
	add("update layout", s.updateLayout(1))
	return strings.Join(out, "\n")
}
