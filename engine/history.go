package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Layout is the version of the layout of Strata's tables that this build
// writes. A database whose recorded layout is newer is refused; an older
// one is upgraded in place by the next command that writes (layout.go).
const Layout = 3

// Flyway's values of the history table's type column (FLYWAY.md 1.6).
const (
	TypeSQL         = "SQL"
	TypeSQLBaseline = "SQL_BASELINE"
	TypeUndoSQL     = "UNDO_SQL"
	TypeBaseline    = "BASELINE"
	TypeSchema      = "SCHEMA"
	TypeDelete      = "DELETE"
)

// HistoryRow is one row of the history table.
type HistoryRow struct {
	InstalledRank   int64
	Version         string // "" when the column is NULL
	Description     string
	Type            string
	Script          string
	Checksum        *int32
	InstalledBy     string
	InstalledOn     time.Time
	ExecutionTime   int // milliseconds
	Success         bool
	Tenant          string
	VersionKey      string
	Error           string
	FailedStatement int // -1 when none
	Progress        int // statements of a non-transactional file completed
	// StatementChecksums lists the checksums of the statements a failed
	// non-transactional run applied, in order ("" when not recorded).
	StatementChecksums string
	// Mark is Strata's note on a row, in its own column (layout 3):
	// MarkDiscard on an UNDO_SQL row of an undo that discarded its version,
	// MarkSkip on a row that mark-applied wrote without running the file;
	// "" otherwise.
	Mark string
}

// Values of HistoryRow.Mark.
const (
	MarkDiscard = "discard"
	MarkSkip    = "skip"
)

// synthetic reports whether the row is a marker rather than a migration.
func (r *HistoryRow) synthetic() bool {
	switch r.Type {
	case TypeSchema, TypeBaseline, TypeDelete:
		return true
	}
	return false
}

func (r *HistoryRow) undo() bool { return strings.HasPrefix(r.Type, "UNDO_") }

// baseline reports whether the row marks a baseline (BASELINE or a baseline
// migration such as SQL_BASELINE).
func (r *HistoryRow) baseline() bool {
	return r.Type == TypeBaseline || strings.HasSuffix(r.Type, "_BASELINE")
}

// historyColumns is the column list Strata reads from every layout,
// Flyway's ten first (readColumns adds those of later layouts).
var historyColumns = []string{
	"installed_rank", "version", "description", "type", "script", "checksum",
	"installed_by", "installed_on", "execution_time", "success",
	"tenant", "version_key", "error", "failed_statement", "progress",
}

// store renders the statements on Strata's tables.
func (m *run) store() store { return store{d: m.dialect, t: m.tables, undoMark: m.undoMark} }

func checksumLiteral(c *int32) string {
	if c == nil {
		return "NULL"
	}
	return strconv.FormatInt(int64(*c), 10)
}

func failedLiteral(i int) string {
	if i < 0 {
		return "NULL"
	}
	return strconv.Itoa(i)
}

func asString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	default:
		n, _ := strconv.ParseInt(strings.TrimSpace(asString(v)), 10, 64)
		return n
	}
}

func asBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case nil:
		return false
	default:
		s := strings.ToLower(strings.TrimSpace(asString(v)))
		return s == "1" || s == "true" || s == "t"
	}
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
}

func asTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x
	case nil:
		return time.Time{}
	default:
		s := strings.TrimSpace(asString(v))
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t
			}
		}
		return time.Time{}
	}
}
