package locations

import "strconv"

// Kind is the kind of a migration file, given by its name prefix.
type Kind int

// The kinds of migration files.
const (
	Versioned  Kind = iota + 1 // V<version>__<desc>.sql
	Undo                       // U<version>__<desc>.sql
	Repeatable                 // R__<desc>.sql
	Baseline                   // B<version>__<desc>.sql
	Callback                   // beforeMigrate.sql, afterMigrate__x.sql, ... (Flyway event names)
)

// String returns the kind's name: "Versioned", "Undo", "Repeatable", "Baseline" or "Callback".
func (k Kind) String() string {
	switch k {
	case Versioned:
		return "Versioned"
	case Undo:
		return "Undo"
	case Repeatable:
		return "Repeatable"
	case Baseline:
		return "Baseline"
	case Callback:
		return "Callback"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// versioned reports whether files of kind k carry a version.
func (k Kind) versioned() bool {
	return k == Versioned || k == Undo || k == Baseline
}

// prefix returns the file name prefix of a versioned or repeatable kind.
func (k Kind) prefix() string {
	switch k {
	case Versioned:
		return "V"
	case Undo:
		return "U"
	case Repeatable:
		return "R"
	case Baseline:
		return "B"
	}
	return ""
}

// noun returns how messages name a file of kind k.
func (k Kind) noun() string {
	switch k {
	case Versioned:
		return "versioned migration"
	case Undo:
		return "undo migration"
	case Repeatable:
		return "repeatable migration"
	case Baseline:
		return "baseline migration"
	case Callback:
		return "callback"
	}
	return "migration"
}
