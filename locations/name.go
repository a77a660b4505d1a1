package locations

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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

// eventsLongestFirst is events sorted so that a longer name is tried before
// any name that is a prefix of it.
var eventsLongestFirst = func() []string {
	s := slices.Clone(events)
	slices.SortStableFunc(s, func(a, b string) int { return len(b) - len(a) })
	return s
}()

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

// ParseName parses a base file name. Names not ending in ".sql"
// (case-insensitive), and *.conf files, return ErrNotSQL. A ".sql" name that
// breaks the rules returns a *NameError saying why and showing the right shape
// ("V1.2__desc.sql").
//
// The rules are Flyway's: the prefix is V, U, B, R or a callback event name
// (case-sensitive, longest first); the rest is split at the first "__" into a
// version and a description, and without "__" all of it is the version
// ("V1.sql" is version 1 with an empty description). Repeatables and callbacks
// have nothing before "__". Every '_' of the description becomes a space.
func ParseName(base string) (Name, error) {
	if hasSuffixFold(base, confSuffix) || !hasSuffixFold(base, sqlSuffix) {
		return Name{}, ErrNotSQL
	}
	if !utf8.ValidString(base) {
		return Name{}, &NameError{File: base, Reason: "file name is not valid UTF-8"}
	}
	stem := base[:len(base)-len(sqlSuffix)]
	for _, ev := range eventsLongestFirst {
		rest, ok := strings.CutPrefix(stem, ev)
		if !ok {
			continue
		}
		before, desc, _ := strings.Cut(rest, separator)
		if before != "" {
			return Name{}, &NameError{File: base, Reason: "invalid callback name format: " +
				"nothing may follow the event name but __ and a description; it should look like this: " +
				ev + ".sql or " + ev + "__desc.sql"}
		}
		return Name{Kind: Callback, Event: ev, Description: description(desc)}, nil
	}
	var kind Kind
	if stem != "" {
		switch stem[0] {
		case 'V':
			kind = Versioned
		case 'U':
			kind = Undo
		case 'B':
			kind = Baseline
		case 'R':
			kind = Repeatable
		}
	}
	if kind == 0 {
		return Name{}, &NameError{File: base, Reason: "unrecognised migration name format: " +
			"it should start with V, U, B, R or a callback event name and look like this: " +
			"V1.2__desc.sql, R__desc.sql or beforeMigrate.sql"}
	}
	rest := stem[1:]
	ver, desc, _ := strings.Cut(rest, separator)
	shape := kind.prefix() + "1.2__desc.sql"
	if kind == Repeatable {
		shape = "R__desc.sql"
	}
	head := "invalid " + kind.noun() + " name format: "
	if kind == Repeatable {
		switch {
		case rest == "":
			return Name{}, &NameError{File: base, Reason: head + "it should look like this: " + shape}
		case ver != "":
			return Name{}, &NameError{File: base, Reason: head + "it cannot contain a version and should look like this: " + shape}
		}
		return Name{Kind: Repeatable, Description: description(desc)}, nil
	}
	if ver == "" {
		return Name{}, &NameError{File: base, Reason: head + "it must contain a version and should look like this: " + shape}
	}
	v, err := ParseVersion(ver)
	if err != nil {
		return Name{}, &NameError{File: base, Reason: head + "could not recognise version number " +
			strconv.Quote(ver) + "; it should look like this: " + shape}
	}
	return Name{Kind: kind, Version: v, Description: description(desc)}, nil
}

// description turns a raw description into Flyway's: every '_' becomes ' '.
func description(raw string) string { return strings.ReplaceAll(raw, "_", " ") }
