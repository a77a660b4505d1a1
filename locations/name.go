package locations

import (
	"errors"
	"slices"
	"strings"
)

// Name is what a migration file name says about the file.
type Name struct {
	Kind        Kind
	Version     Version // zero for Repeatable and Callback
	Description string  // raw description with every '_' replaced by ' '
	Event       string  // for Callback: the event name as spelled by Flyway, e.g. "beforeMigrate"
}

// ErrNotSQL is returned by ParseName for names that are not SQL scripts.
var ErrNotSQL = errors.New("not a sql file")

// NameError says why a ".sql" file name does not follow the naming rules.
type NameError struct {
	File   string // the base name
	Reason string // why, with the right shape, e.g. "... should look like this: V1.2__desc.sql"
}

// Error returns the file name and the reason.
func (e *NameError) Error() string { return e.File + ": " + e.Reason }

// events lists Flyway's callback event names (Event.java), which are also the
// file name prefixes of SQL callbacks.
var events = []string{
	// migrate
	"beforeMigrate", "beforeEachMigrate", "beforeEachMigrateStatement",
	"afterEachMigrateStatement", "afterEachMigrateStatementError",
	"afterEachMigrate", "afterEachMigrateError", "beforeRepeatables",
	"afterVersioned", "afterMigrateApplied", "afterMigrate", "afterMigrateError",
	// undo
	"beforeUndo", "beforeEachUndo", "beforeEachUndoStatement",
	"afterEachUndoStatement", "afterEachUndoStatementError", "afterEachUndo",
	"afterEachUndoError", "afterUndo", "afterUndoError",
	// clean
	"beforeClean", "afterClean", "afterCleanError",
	// validate
	"beforeValidate", "afterValidate", "afterValidateError",
	// baseline
	"beforeBaseline", "afterBaseline", "afterBaselineError",
	// repair
	"beforeRepair", "afterRepair", "afterRepairError",
	// info
	"beforeInfo", "afterInfo", "afterInfoError",
	// other
	"createSchema", "beforeCreateSchema", "beforeConnect", "afterConnect",
	"afterMigrateOperationFinish", "afterInfoOperationFinish",
}

// Events returns Flyway's callback event names, which are the file name
// prefixes of SQL callbacks ("beforeMigrate", "afterEachMigrate", ...).
func Events() []string { return slices.Clone(events) }

// IsEvent reports whether name is one of Flyway's callback event names
// (case-sensitive).
func IsEvent(name string) bool { return slices.Contains(events, name) }

const (
	sqlSuffix  = ".sql"
	confSuffix = ".conf"
	separator  = "__"
)

// hasSuffixFold reports whether s ends with the ASCII suffix, ignoring case.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// ParseName parses a base file name with Flyway's default naming
// (DefaultNaming). Names not ending in ".sql" (case-insensitive), and *.conf
// files, return ErrNotSQL. A ".sql" name that breaks the rules returns a
// *NameError saying why and showing the right shape ("V1.2__desc.sql").
//
// The rules are Flyway's: the suffix is removed first; the prefix is V, U, B,
// R or a callback event name (case-sensitive, longest first); the rest is
// split at the first "__" into a version and a description, and without "__"
// all of it is the version ("V1.sql" is version 1 with an empty
// description). Repeatables and callbacks have nothing before "__". Every '_'
// of the description becomes a space. Naming.Parse does the same with other
// prefixes, separator and suffixes.
func ParseName(base string) (Name, error) {
	return defaultParser.parse(base)
}

// description turns a raw description into Flyway's: every '_' becomes ' '.
func description(raw string) string { return strings.ReplaceAll(raw, "_", " ") }
