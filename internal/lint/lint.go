// Package lint checks PostgreSQL migrations for the DDL that takes a
// production database down: statements that hold an ACCESS EXCLUSIVE lock
// while they rewrite or scan a table, that block writes while they build an
// index, or that break the code still running against the old schema. It
// reads each statement with PostgreSQL's own parser (internal/pgsql).
//
// Each rule has an id (Rules lists them with their severity and reason).
// A file turns rules off with a directive in its leading comments,
// `-- strata:lint-ignore=rule-id,other-id`; an env with lint_disable.
package lint

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/stratadb/strata/internal/pgsql"
	"github.com/stratadb/strata/placeholders"
)

// Severity says whether a finding fails the lint.
type Severity string

const (
	Error   Severity = "error"   // fails strata lint (exit 3) and, with lint = "error", migrate
	Warning Severity = "warning" // reported only
)

// Rule is one check.
type Rule struct {
	ID       string
	Severity Severity
	Reason   string // one line: why it matters
}

// Rules are every rule, in the order the README lists them.
var Rules = []Rule{
	{"index-not-concurrent", Error, "CREATE INDEX without CONCURRENTLY blocks every write to an existing table until the index is built"},
	{"add-column-not-null", Error, "ADD COLUMN ... NOT NULL without a default fails on a table with rows, and is often fixed in a hurry with a rewrite"},
	{"add-column-volatile-default", Error, "ADD COLUMN with a volatile default (random(), clock_timestamp(), a sequence) rewrites the whole table under an ACCESS EXCLUSIVE lock"},
	{"alter-column-type", Error, "ALTER COLUMN TYPE rewrites the table (and its indexes) under an ACCESS EXCLUSIVE lock, unless the types are binary-compatible"},
	{"constraint-not-valid", Error, "ADD FOREIGN KEY or CHECK without NOT VALID scans the whole table while it blocks writes"},
	{"set-not-null", Error, "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a validated CHECK (col IS NOT NULL) proves it"},
	{"rename-in-use", Warning, "renaming a column or a table breaks the application code still running against the old name during a deploy"},
	{"drop-in-use", Warning, "dropping a column or a table breaks the application code that still reads it during a deploy, and cannot be undone"},
	{"reindex-not-concurrent", Error, "REINDEX without CONCURRENTLY blocks writes to the table (and reads that use the index) while it rebuilds"},
	{"lock-table", Warning, "an explicit LOCK TABLE holds a heavy lock for the rest of the transaction"},
	{"mixed-data-ddl", Warning, "a long data change in the same file as DDL keeps the DDL's locks for as long as the data change runs"},
	{"multiple-exclusive-locks", Warning, "one transaction taking ACCESS EXCLUSIVE locks on several existing tables holds the first while it waits for the next, and can deadlock with the application"},
	{"missing-lock-timeout", Warning, "a heavy lock request waits behind a long query and blocks every query queued after it; lock_timeout makes it give up instead"},
	{"parse-error", Error, "PostgreSQL's parser refuses the statement: it would fail at migrate"},
}

var ruleByID = func() map[string]Rule {
	m := map[string]Rule{}
	for _, r := range Rules {
		m[r.ID] = r
	}
	return m
}()

// Finding is one problem found.
type Finding struct {
	Rule     string
	Severity Severity
	File     string // as given in File.Path
	Line     int    // 1-based
	Column   int    // 1-based, in characters
	Message  string // what is wrong
	Fix      string // what to do instead
}

// String returns "file:line:col: severity: message [rule]" and the fix on
// a second line.
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]\n  fix: %s", f.File, f.Line, f.Column, f.Severity, f.Message, f.Rule, f.Fix)
}

// File is one migration to check, in the order they would run.
type File struct {
	Path          string   // how findings name it
	Text          string   // its content
	Transactional *bool    // the strata:transaction directive, nil when not set
	LockTimeout   string   // the strata:lock_timeout directive, "" when not set
	Ignore        []string // rule ids of its strata:lint-ignore directives
}

// Options apply to every file.
type Options struct {
	Syntax      placeholders.Syntax // how placeholders are written
	Disabled    []string            // rule ids turned off (the env's lint_disable)
	LockTimeout string              // the env's lock_timeout, "" when it sets none
}

// UnknownRules returns the ids in ids that name no rule.
func UnknownRules(ids []string) []string {
	var out []string
	for _, id := range ids {
		if _, ok := ruleByID[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// Lint checks files in order: a table created by an earlier statement of
// any of them is new, and the rules about existing tables leave it alone.
// Findings are in file order, then by position. The error is for what no
// input can cause (the parser failing to load).
func Lint(files []File, opts Options) ([]Finding, error) {
	l := &linter{opts: opts, created: map[string]bool{}}
	for _, f := range files {
		s, err := pgsql.Parse(f.Text, opts.Syntax)
		if err != nil {
			return nil, err
		}
		l.file(f, s)
	}
	return l.out, nil
}

type linter struct {
	opts    Options
	created map[string]bool // tables created so far, by name and by schema.name
	out     []Finding

	// per file
	f         File
	s         *pgsql.Script
	found     []Finding
	exclusive map[string]int    // existing tables locked ACCESS EXCLUSIVE -> offset of the first
	notNull   map[string]bool   // table.column proven not null by a validated CHECK
	checks    map[string]string // table.constraint -> column of a CHECK (col IS NOT NULL)
	timeout   bool              // a SET lock_timeout ran before
	heavy     int               // offset of the first heavy lock without a timeout, -1
	data, ddl int               // offset of the first long data change and DDL, -1
	tx        bool
}

func (l *linter) file(f File, s *pgsql.Script) {
	l.f, l.s, l.found = f, s, nil
	l.exclusive, l.notNull, l.checks = map[string]int{}, map[string]bool{}, map[string]string{}
	l.timeout = f.LockTimeout != "" || l.opts.LockTimeout != ""
	l.heavy, l.data, l.ddl = -1, -1, -1
	l.tx = f.Transactional == nil || *f.Transactional
	if f.Transactional == nil {
		for _, st := range s.Statements {
			if st.Node != nil && (st.Node.GetIndexStmt().GetConcurrent() || concurrentReindex(st.Node.GetReindexStmt())) {
				l.tx = false // the engine runs such a file outside a transaction
			}
		}
	}
	for _, st := range s.Statements {
		if st.Err != nil {
			l.add("parse-error", st.Err.Offset, "PostgreSQL's parser refuses this statement: "+st.Err.Msg, "fix the statement; strata lint checks PostgreSQL syntax (version 17's parser)")
			continue
		}
		l.statement(st)
	}
	if l.data >= 0 && l.ddl >= 0 {
		l.add("mixed-data-ddl", max(l.data, l.ddl), "this file mixes a data change over a whole table with DDL (at line "+l.lineOf(min(l.data, l.ddl))+")",
			"move the data change to a migration of its own, after the DDL, and batch it if the table is large")
	}
	if l.tx && len(l.exclusive) > 1 {
		var names []string
		last := 0
		for t, off := range l.exclusive {
			names = append(names, t)
			last = max(last, off)
		}
		sort.Strings(names)
		l.add("multiple-exclusive-locks", last, "this transactional file takes ACCESS EXCLUSIVE locks on "+fmt.Sprint(len(names))+" existing tables ("+strings.Join(names, ", ")+")",
			"change one existing table per migration, so that each transaction holds one heavy lock")
	}
	if l.heavy >= 0 {
		l.add("missing-lock-timeout", l.heavy, "this statement takes a heavy lock and no lock_timeout is set (the env sets none, nor the file)",
			"set lock_timeout in strata.hcl (lock_timeout = \"5s\"), or in the file (-- strata:lock_timeout=5s), and retry the migration when it times out")
	}
	sort.SliceStable(l.found, func(i, j int) bool {
		a, b := l.found[i], l.found[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	l.out = append(l.out, l.found...)
}

func (l *linter) lineOf(off int) string {
	line, _ := l.s.Pos(off)
	return fmt.Sprint(line)
}

// add records a finding unless the rule is turned off.
func (l *linter) add(rule string, off int, msg, fix string) {
	if slices.Contains(l.opts.Disabled, rule) || slices.Contains(l.f.Ignore, rule) {
		return
	}
	line, col := l.s.Pos(off)
	l.found = append(l.found, Finding{Rule: rule, Severity: ruleByID[rule].Severity, File: l.f.Path, Line: line, Column: col, Message: msg, Fix: fix})
}

func relName(r *pg.RangeVar) string {
	if r == nil {
		return ""
	}
	if r.Schemaname != "" {
		return r.Schemaname + "." + r.Relname
	}
	return r.Relname
}

// isNew reports whether a table was created by an earlier statement.
func (l *linter) isNew(r *pg.RangeVar) bool {
	return r != nil && (l.created[relName(r)] || l.created[r.Relname])
}

// at is the offset of a node's location, or of the statement.
func at(st pgsql.Statement, loc int32) int {
	if loc > 0 {
		return int(loc)
	}
	return st.Offset
}

// exclusiveLock records an ACCESS EXCLUSIVE lock on an existing table.
func (l *linter) exclusiveLock(r *pg.RangeVar, off int) {
	if r == nil || l.isNew(r) {
		return
	}
	if _, ok := l.exclusive[relName(r)]; !ok {
		l.exclusive[relName(r)] = off
	}
	l.heavyLock(off)
}

func (l *linter) heavyLock(off int) {
	if !l.timeout && l.heavy < 0 {
		l.heavy = off
	}
}

func (l *linter) markDDL(off int) {
	if l.ddl < 0 {
		l.ddl = off
	}
}

func (l *linter) statement(st pgsql.Statement) {
	n := st.Node
	switch {
	case n.GetVariableSetStmt() != nil:
		if strings.EqualFold(n.GetVariableSetStmt().Name, "lock_timeout") {
			l.timeout = true
		}
	case n.GetCreateStmt() != nil:
		r := n.GetCreateStmt().Relation
		l.created[relName(r)], l.created[r.Relname] = true, true
		l.markDDL(st.Offset)
	case n.GetCreateTableAsStmt() != nil:
		if r := n.GetCreateTableAsStmt().Into.GetRel(); r != nil {
			l.created[relName(r)], l.created[r.Relname] = true, true
		}
	case n.GetIndexStmt() != nil:
		ix := n.GetIndexStmt()
		l.markDDL(st.Offset)
		if !ix.Concurrent && !l.isNew(ix.Relation) {
			l.add("index-not-concurrent", st.Offset, "CREATE INDEX on existing table "+relName(ix.Relation)+" without CONCURRENTLY blocks writes to it while the index builds",
				"CREATE INDEX CONCURRENTLY, in a migration of its own (strata runs a file holding CONCURRENTLY outside a transaction)")
			l.heavyLock(st.Offset)
		}
	case n.GetAlterTableStmt() != nil:
		l.alterTable(st, n.GetAlterTableStmt())
	case n.GetRenameStmt() != nil:
		r := n.GetRenameStmt()
		l.markDDL(st.Offset)
		switch r.RenameType {
		case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_COLUMN:
			if !l.isNew(r.Relation) {
				what := "table " + relName(r.Relation)
				if r.RenameType == pg.ObjectType_OBJECT_COLUMN {
					what = "column " + r.Subname + " of " + relName(r.Relation)
				}
				l.add("rename-in-use", at(st, r.Relation.GetLocation()), "renaming "+what+" to "+r.Newname+" breaks the code still using the old name",
					"add the new column (or a view under the new name), deploy code that uses it, then drop the old one in a later migration")
			}
		}
		l.exclusiveLock(r.Relation, st.Offset)
	case n.GetDropStmt() != nil:
		d := n.GetDropStmt()
		l.markDDL(st.Offset)
		if d.RemoveType == pg.ObjectType_OBJECT_TABLE {
			for _, o := range d.Objects {
				var parts []string
				for _, p := range o.GetList().GetItems() {
					parts = append(parts, p.GetString_().GetSval())
				}
				name := strings.Join(parts, ".")
				if l.created[name] {
					continue
				}
				l.add("drop-in-use", st.Offset, "dropping table "+name+" breaks the code that still reads it, and loses its data",
					"deploy code that no longer uses the table first; keep a backup (or rename it away) before dropping it in a later migration")
				l.exclusive[name] = st.Offset
				l.heavyLock(st.Offset)
			}
		}
	case n.GetReindexStmt() != nil:
		rx := n.GetReindexStmt()
		if !concurrentReindex(rx) {
			l.add("reindex-not-concurrent", st.Offset, "REINDEX without CONCURRENTLY blocks writes while it rebuilds",
				"REINDEX ... CONCURRENTLY (PostgreSQL 12+), in a migration of its own")
			l.heavyLock(st.Offset)
		}
	case n.GetLockStmt() != nil:
		ls := n.GetLockStmt()
		l.add("lock-table", st.Offset, "LOCK TABLE holds a heavy lock until the migration's transaction ends",
			"let the statements take the locks they need; if the order of locks matters, keep the migration short and set lock_timeout")
		for _, r := range ls.Relations {
			if ls.Mode == 8 || ls.Mode == 0 { // AccessExclusiveLock, the default
				l.exclusiveLock(r.GetRangeVar(), st.Offset)
			} else {
				l.heavyLock(st.Offset)
			}
		}
	case n.GetUpdateStmt() != nil, n.GetDeleteStmt() != nil, n.GetMergeStmt() != nil, n.GetCopyStmt() != nil:
		if l.data < 0 && !l.newData(n) {
			l.data = st.Offset
		}
	case n.GetInsertStmt() != nil:
		ins := n.GetInsertStmt()
		if sel := ins.SelectStmt.GetSelectStmt(); sel != nil && len(sel.ValuesLists) == 0 && !l.isNew(ins.Relation) && l.data < 0 {
			l.data = st.Offset // INSERT ... SELECT: as long as its query
		}
	case n.GetTruncateStmt() != nil:
		for _, r := range n.GetTruncateStmt().Relations {
			l.exclusiveLock(r.GetRangeVar(), st.Offset)
		}
	default:
		if isDDL(n) {
			l.markDDL(st.Offset)
		}
	}
}

// newData reports whether a data change works on a table created in this
// run (short: the table is empty or small).
func (l *linter) newData(n *pg.Node) bool {
	switch {
	case n.GetUpdateStmt() != nil:
		return l.isNew(n.GetUpdateStmt().Relation)
	case n.GetDeleteStmt() != nil:
		return l.isNew(n.GetDeleteStmt().Relation)
	case n.GetCopyStmt() != nil:
		return l.isNew(n.GetCopyStmt().Relation)
	}
	return false
}

func isDDL(n *pg.Node) bool {
	switch n.Node.(type) {
	case *pg.Node_SelectStmt, *pg.Node_InsertStmt, *pg.Node_UpdateStmt, *pg.Node_DeleteStmt, *pg.Node_MergeStmt,
		*pg.Node_CopyStmt, *pg.Node_VariableSetStmt, *pg.Node_TransactionStmt, *pg.Node_DoStmt, *pg.Node_CommentStmt,
		*pg.Node_GrantStmt, *pg.Node_GrantRoleStmt:
		return false
	}
	return true
}

func concurrentReindex(rx *pg.ReindexStmt) bool {
	if rx == nil {
		return false
	}
	for _, p := range rx.Params {
		if d := p.GetDefElem(); d != nil && d.Defname == "concurrently" {
			return true
		}
	}
	return false
}

func (l *linter) alterTable(st pgsql.Statement, a *pg.AlterTableStmt) {
	l.markDDL(st.Offset)
	r := a.Relation
	existing := !l.isNew(r)
	exclusive := false
	for _, c := range a.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		switch cmd.Subtype {
		case pg.AlterTableType_AT_ValidateConstraint, pg.AlterTableType_AT_SetStatistics,
			pg.AlterTableType_AT_SetOptions, pg.AlterTableType_AT_ResetOptions,
			pg.AlterTableType_AT_SetRelOptions, pg.AlterTableType_AT_ResetRelOptions:
			// SHARE UPDATE EXCLUSIVE: reads and writes go on.
		case pg.AlterTableType_AT_AddConstraint:
			// A foreign key takes SHARE ROW EXCLUSIVE; the others ACCESS
			// EXCLUSIVE. Either blocks writes.
			exclusive = true
		default:
			exclusive = true
		}
		if !existing {
			continue
		}
		switch cmd.Subtype {
		case pg.AlterTableType_AT_AddColumn:
			l.addColumn(st, r, cmd.Def.GetColumnDef())
		case pg.AlterTableType_AT_AlterColumnType:
			l.add("alter-column-type", st.Offset, "ALTER COLUMN "+cmd.Name+" TYPE on existing table "+relName(r)+" rewrites the table under an ACCESS EXCLUSIVE lock",
				"add a column of the new type, backfill it in batches, switch the code over, then drop the old column (unless the change is binary-compatible, such as varchar(n) to text)")
		case pg.AlterTableType_AT_AddConstraint:
			con := cmd.Def.GetConstraint()
			if con == nil {
				continue
			}
			if con.Contype == pg.ConstrType_CONSTR_CHECK {
				if col := isNotNullCheck(con.RawExpr); col != "" && con.Conname != "" {
					l.checks[relName(r)+"."+con.Conname] = col
					if !con.SkipValidation {
						l.notNull[relName(r)+"."+col] = true
					}
				}
			}
			if (con.Contype == pg.ConstrType_CONSTR_FOREIGN || con.Contype == pg.ConstrType_CONSTR_CHECK) && !con.SkipValidation {
				kind := "FOREIGN KEY"
				if con.Contype == pg.ConstrType_CONSTR_CHECK {
					kind = "CHECK"
				}
				l.add("constraint-not-valid", at(st, con.Location), "ADD "+kind+" on existing table "+relName(r)+" without NOT VALID scans the table while it blocks writes",
					"ADD CONSTRAINT ... NOT VALID here, then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (it does not block writes)")
			}
		case pg.AlterTableType_AT_ValidateConstraint:
			if col, ok := l.checks[relName(r)+"."+cmd.Name]; ok {
				l.notNull[relName(r)+"."+col] = true
			}
		case pg.AlterTableType_AT_SetNotNull:
			if !l.notNull[relName(r)+"."+cmd.Name] {
				l.add("set-not-null", st.Offset, "SET NOT NULL on column "+cmd.Name+" of existing table "+relName(r)+" scans the table under an ACCESS EXCLUSIVE lock",
					"first ADD CONSTRAINT c CHECK ("+cmd.Name+" IS NOT NULL) NOT VALID and VALIDATE CONSTRAINT c; then SET NOT NULL skips the scan (PostgreSQL 12+), and c can be dropped")
			}
		case pg.AlterTableType_AT_DropColumn:
			l.add("drop-in-use", st.Offset, "dropping column "+cmd.Name+" of "+relName(r)+" breaks the code that still reads it, and loses its data",
				"deploy code that no longer uses the column first, then drop it in a later migration")
		}
	}
	if exclusive && existing {
		l.exclusiveLock(r, st.Offset)
	}
}

func (l *linter) addColumn(st pgsql.Statement, r *pg.RangeVar, cd *pg.ColumnDef) {
	if cd == nil {
		return
	}
	notNull := cd.IsNotNull
	var def *pg.Node
	for _, c := range cd.Constraints {
		con := c.GetConstraint()
		switch con.GetContype() {
		case pg.ConstrType_CONSTR_NOTNULL, pg.ConstrType_CONSTR_PRIMARY:
			notNull = true
		case pg.ConstrType_CONSTR_DEFAULT:
			def = con.RawExpr
		case pg.ConstrType_CONSTR_IDENTITY:
			def = &pg.Node{} // an identity column is filled from its sequence
			l.add("add-column-volatile-default", at(st, cd.Location), "ADD COLUMN "+cd.Colname+" GENERATED AS IDENTITY fills every row from a sequence: a table rewrite",
				"add the column without identity, backfill it in batches, then add the identity")
		}
	}
	if serial(cd.TypeName) {
		l.add("add-column-volatile-default", at(st, cd.Location), "ADD COLUMN "+cd.Colname+" of a serial type fills every row from a sequence: a table rewrite under an ACCESS EXCLUSIVE lock",
			"add a nullable integer column, create the sequence, backfill in batches, then set the default")
		return
	}
	if notNull && def == nil {
		l.add("add-column-not-null", at(st, cd.Location), "ADD COLUMN "+cd.Colname+" NOT NULL without a default on existing table "+relName(r)+" fails as soon as the table has rows",
			"give it a constant default (ADD COLUMN "+cd.Colname+" ... NOT NULL DEFAULT ..., no rewrite since PostgreSQL 11), or add it nullable, backfill, then SET NOT NULL after a validated CHECK")
	}
	if def != nil && def.Node != nil {
		if fn := volatileCall(def); fn != "" {
			l.add("add-column-volatile-default", at(st, cd.Location), "ADD COLUMN "+cd.Colname+" DEFAULT "+fn+"(...) on existing table "+relName(r)+": a volatile default rewrites every row under an ACCESS EXCLUSIVE lock",
				"add the column without a default (or with a constant one), backfill it in batches, then SET DEFAULT for new rows")
		}
	}
}

// volatile are functions whose value changes per row: as a column default
// they make ADD COLUMN rewrite the table. now() and current_timestamp are
// stable (one value per transaction) and are not here.
var volatile = map[string]bool{
	"random": true, "gen_random_uuid": true, "uuid_generate_v1": true, "uuid_generate_v1mc": true, "uuid_generate_v4": true,
	"uuidv4": true, "uuidv7": true, "clock_timestamp": true, "timeofday": true, "nextval": true,
	"txid_current": true, "random_normal": true, "setseed": true,
}

// volatileCall returns the name of a volatile function called in n, or "".
func volatileCall(n *pg.Node) string {
	found := ""
	walk(n.ProtoReflect(), func(m protoreflect.Message) {
		if fc, ok := m.Interface().(*pg.FuncCall); ok && found == "" {
			name := fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval()
			if volatile[name] {
				found = name
			}
		}
	})
	return found
}

// walk calls fn on m and every message under it.
func walk(m protoreflect.Message, fn func(protoreflect.Message)) {
	fn(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				walk(list.Get(i).Message(), fn)
			}
		case fd.Message() != nil && !fd.IsMap():
			walk(v.Message(), fn)
		}
		return true
	})
}

func serial(t *pg.TypeName) bool {
	if t == nil || len(t.Names) == 0 {
		return false
	}
	switch t.Names[len(t.Names)-1].GetString_().GetSval() {
	case "serial", "bigserial", "smallserial", "serial4", "serial8", "serial2":
		return true
	}
	return false
}

// isNotNullCheck returns the column of a CHECK (col IS NOT NULL), or "".
func isNotNullCheck(n *pg.Node) string {
	nt := n.GetNullTest()
	if nt == nil || nt.Nulltesttype != pg.NullTestType_IS_NOT_NULL {
		return ""
	}
	f := nt.Arg.GetColumnRef().GetFields()
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1].GetString_().GetSval()
}
