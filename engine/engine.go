package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/stratadb/strata/internal/redact"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// Migrator plans and applies one set of migration files to the targets of
// one database. It holds only what New was given and is not changed
// afterwards: each command resolves its targets and tables from the
// session in a run of its own, which a Plan carries to Apply. A Migrator is
// therefore safe for concurrent use; concurrent commands on one database
// exclude each other through the targets' locks.
type Migrator struct {
	dialect       Dialect
	db            *sql.DB
	files         *locations.Set
	tables        Tables // as configured; a run resolves an empty schema
	schemas       []string
	syntax        placeholders.Syntax
	values        placeholders.Values
	replace       bool
	envName       string
	installedBy   string // as configured; a run falls back to the session's user
	outOfOrder    bool
	hotfixes      []locations.Version
	included      []locations.Version // discarded versions to apply again (WithIncludeDiscarded)
	target        string
	ignore        []ignorePattern
	lockTimeout   time.Duration
	pooling       Pooling
	tenantSrc     TenantSource
	tenantFilter  []string
	shard         Shard // Count 0: all tenants
	waveDefs      []Wave
	startWave     string
	parallel      int
	details       bool
	onError       OnError
	retries       int // attempts after a lock timeout
	targetRetries int // WithTargetRetries: attempts of a target after a transient failure
	targetBackoff time.Duration
	backoff       time.Duration // first wait between attempts, doubled each time
	flywayTable   string
	// baseline on migrate: a target without history whose schema holds
	// objects gets a baseline row at this version first.
	baselineOnMigrate   bool
	baselineVersion     locations.Version
	baselineDescription string
	stmtTimeout         string
	commitMode          CommitMode
	sqlLockTime         string
	observer            func(Event)
	logger              *slog.Logger
	secrets             *redact.Masker
	now                 func() time.Time
}

// Option configures a Migrator. New validates the options together and
// freezes them: each setting may be given once (WithPlaceholders and
// WithoutPlaceholders are one setting, as are WithTenants and
// WithTenantSource), and the Migrator never changes them afterwards.
type Option struct {
	setting string // what the option sets; two options of one setting conflict
	name    string // the option's name, for errors
	apply   func(*Migrator) error
}

// option is an Option named name that sets setting.
func option(setting, name string, apply func(*Migrator) error) Option {
	return Option{setting: setting, name: name, apply: apply}
}

// WithHistoryTable sets the history table's schema and name (default: the
// first managed schema, else the connection's default; strata_schema_history).
func WithHistoryTable(schema, table string) Option {
	return option("history table", "WithHistoryTable", func(m *Migrator) error {
		if table == "" {
			return errors.New("history table name is empty")
		}
		m.tables = Tables{Schema: schema, History: table}
		return nil
	})
}

// WithSchemas sets the managed schemas; the first is the default schema.
func WithSchemas(names ...string) Option {
	return option("schemas", "WithSchemas", func(m *Migrator) error { m.schemas = append([]string(nil), names...); return nil })
}

// WithTenants sets the tenant schemas that each receive the migrations:
// WithTenantSource with a list.
func WithTenants(names ...string) Option {
	o := WithTenantSource(TenantSource{Schemas: append([]string(nil), names...)})
	o.name = "WithTenants"
	return o
}

// WithPlaceholders sets the placeholder syntax and values.
func WithPlaceholders(syntax placeholders.Syntax, values placeholders.Values) Option {
	return option("placeholders", "WithPlaceholders", func(m *Migrator) error { m.syntax, m.values, m.replace = syntax, values, true; return nil })
}

// WithoutPlaceholders switches placeholder replacement off.
func WithoutPlaceholders() Option {
	return option("placeholders", "WithoutPlaceholders", func(m *Migrator) error { m.replace = false; return nil })
}

// WithEnvName names the environment (${strata:env}).
func WithEnvName(name string) Option {
	return option("env name", "WithEnvName", func(m *Migrator) error { m.envName = name; return nil })
}

// WithInstalledBy sets the installed_by value (default: the database user).
func WithInstalledBy(name string) Option {
	return option("installed by", "WithInstalledBy", func(m *Migrator) error { m.installedBy = name; return nil })
}

// OutOfOrder is the policy for pending versions below the highest applied one.
type OutOfOrder int

const (
	// InOrder refuses them, except listed hotfixes.
	InOrder OutOfOrder = iota
	// AllowOutOfOrder applies them.
	AllowOutOfOrder
)

// WithOutOfOrder sets the out-of-order policy and the hotfix versions that
// may be applied out of order under InOrder.
func WithOutOfOrder(policy OutOfOrder, hotfixes ...string) Option {
	return option("out of order", "WithOutOfOrder", func(m *Migrator) error {
		m.outOfOrder = policy == AllowOutOfOrder
		for _, h := range hotfixes {
			v, err := locations.ParseVersion(h)
			if err != nil {
				return fmt.Errorf("hotfix %q: %w", h, err)
			}
			m.hotfixes = append(m.hotfixes, v)
		}
		return nil
	})
}

// WithIncludeDiscarded makes the given versions, discarded by
// DiscardPlan/Discard (undo --discard), pending again: Migrate applies them
// as any pending version (out-of-order rules included). Versions that are
// not discarded on a target change nothing there.
func WithIncludeDiscarded(versions ...string) Option {
	return option("include discarded", "WithIncludeDiscarded", func(m *Migrator) error {
		for _, s := range versions {
			v, err := locations.ParseVersion(s)
			if err != nil {
				return fmt.Errorf("include discarded %q: %w", s, err)
			}
			m.included = append(m.included, v)
		}
		return nil
	})
}

// WithTarget sets the target: "latest" (default), "current", "next" or a
// version.
func WithTarget(target string) Option {
	return option("target", "WithTarget", func(m *Migrator) error {
		if _, err := parseTarget(target); err != nil {
			return err
		}
		m.target = target
		return nil
	})
}

// WithIgnorePatterns sets Flyway's ignoreMigrationPatterns (default
// "*:future").
func WithIgnorePatterns(patterns ...string) Option {
	return option("ignore patterns", "WithIgnorePatterns", func(m *Migrator) error {
		ps, err := parseIgnorePatterns(patterns)
		if err != nil {
			return err
		}
		m.ignore = ps
		return nil
	})
}

// WithLockWait sets how long a run waits for Strata's lock on a target,
// held by another runner of the same migrations (default 30s). The
// database's own lock_timeout, for the statements of a migration, is
// WithServerTimeouts.
func WithLockWait(d time.Duration) Option {
	return option("lock wait", "WithLockWait", func(m *Migrator) error {
		if d <= 0 {
			return errors.New("lock wait must be positive")
		}
		m.lockTimeout = d
		return nil
	})
}

// WithLockRetries sets how often a migration that hit the database's
// lock_timeout is retried (default 3), and the first wait (default 500ms,
// doubled for each further attempt, at most 10s).
func WithLockRetries(n int, backoff time.Duration) Option {
	return option("lock retries", "WithLockRetries", func(m *Migrator) error {
		if n < 0 || backoff < 0 {
			return errors.New("lock retries and backoff must not be negative")
		}
		m.retries, m.backoff = n, backoff
		return nil
	})
}

// Pooling says how connections reach the database.
type Pooling int

const (
	// DirectConnections: each connection is a server session of its own.
	DirectConnections Pooling = iota
	// TransactionPooling: a pooler such as PgBouncer in transaction mode
	// hands each transaction to any server session. Locks are taken per
	// transaction, and files that cannot run in a transaction are refused.
	TransactionPooling
)

// WithPooling sets how connections reach the database (default
// DirectConnections). TransactionPooling needs a dialect that implements
// TxLocker.
func WithPooling(p Pooling) Option {
	return option("pooling", "WithPooling", func(m *Migrator) error {
		if p == TransactionPooling {
			if _, ok := m.dialect.(TxLocker); !ok {
				return fmt.Errorf("dialect %s cannot work through a transaction pooler", m.dialect.Name())
			}
		}
		m.pooling = p
		return nil
	})
}

// WithBaselineOnMigrate makes migrate baseline a target that has no
// history but whose schema holds objects (Flyway's baselineOnMigrate):
// a BASELINE row at version (Flyway's default "1"), with description
// (default DefaultBaselineDescription), is written first, and only the
// migrations above it run. Without it such a target is refused with a
// *NonEmptySchemaError. A target whose schema is empty is migrated from
// its first version either way.
func WithBaselineOnMigrate(version, description string) Option {
	return option("baseline on migrate", "WithBaselineOnMigrate", func(m *Migrator) error {
		if version == "" {
			version = "1"
		}
		v, err := locations.ParseVersion(version)
		if err != nil {
			return fmt.Errorf("baseline version %q: %w", version, err)
		}
		if description == "" {
			description = DefaultBaselineDescription
		}
		m.baselineOnMigrate, m.baselineVersion, m.baselineDescription = true, v, description
		return nil
	})
}

// WithDetails makes Plan, Info and Validate read the history of every
// target, even those the state table shows up to date (which otherwise
// need no history read and no connection of their own).
func WithDetails() Option {
	return option("details", "WithDetails", func(m *Migrator) error { m.details = true; return nil })
}

// ServerTimeouts are the database's own timeouts for the statements of a
// migration, in the server's syntax ("10s", "5min"); "" leaves the
// server's default.
type ServerTimeouts struct {
	Lock      string // how long a statement waits for a table lock (PostgreSQL lock_timeout)
	Statement string // how long a statement may run (PostgreSQL statement_timeout)
}

// WithServerTimeouts sets the database's timeouts for migration statements.
// A statement that hits Lock is retried as WithLockRetries says.
func WithServerTimeouts(t ServerTimeouts) Option {
	return option("server timeouts", "WithServerTimeouts", func(m *Migrator) error {
		m.sqlLockTime, m.stmtTimeout = t.Lock, t.Statement
		return nil
	})
}

// Name is the option's function name ("WithSchemas"), as New's errors say it.
func (o Option) Name() string { return o.name }

// WithObserver receives every Event. It is called from the goroutine doing
// the work and must not block for long.
func WithObserver(f func(Event)) Option {
	return option("observer", "WithObserver", func(m *Migrator) error { m.observer = f; return nil })
}

// WithLogger sets a logger for debug output (default: discard).
func WithLogger(l *slog.Logger) Option {
	return option("logger", "WithLogger", func(m *Migrator) error { m.logger = l; return nil })
}

// WithSecrets gives the values that must never be stored or returned in
// clear: a sensitive placeholder value, a database password and each piece
// of it a driver may show. Every error text the Migrator writes to the
// history and state tables, every error it returns (the message, and the
// Statement, Detail and Hint of a *MigrationError or *CallbackError), the
// errors of its events, and the last errors Info and Validate read back
// have each occurrence replaced by "***". Values shorter than 3 bytes are
// ignored. The driver's error stays reachable unmasked through
// errors.Unwrap, for branching on its type.
func WithSecrets(values ...string) Option {
	return option("secrets", "WithSecrets", func(m *Migrator) error { m.secrets = redact.New(values...); return nil })
}

// New returns a Migrator for the files in set on db.
func New(d Dialect, db *sql.DB, set *locations.Set, opts ...Option) (*Migrator, error) {
	if d == nil || db == nil || set == nil {
		return nil, errors.New("new migrator: dialect, database and file set are required")
	}
	m := &Migrator{
		dialect: d, db: db, files: set,
		tables:        Tables{History: "strata_schema_history"},
		replace:       true,
		target:        "latest",
		lockTimeout:   30 * time.Second,
		retries:       3,
		parallel:      4,
		backoff:       500 * time.Millisecond,
		targetBackoff: time.Second,
		flywayTable:   "flyway_schema_history",
		logger:        slog.New(slog.DiscardHandler),
		now:           time.Now,
	}
	m.ignore, _ = parseIgnorePatterns([]string{"*:future"})
	given := map[string]string{} // setting -> the option that set it
	for _, o := range opts {
		if o.apply == nil {
			return nil, errors.New("new migrator: an Option is the zero value: build options with the With functions")
		}
		if first, ok := given[o.setting]; ok {
			if first == o.name {
				return nil, fmt.Errorf("new migrator: %s is given twice: give each option once", o.name)
			}
			return nil, fmt.Errorf("new migrator: %s and %s both set the %s: give one of them", first, o.name, o.setting)
		}
		given[o.setting] = o.name
		if err := o.apply(m); err != nil {
			return nil, fmt.Errorf("new migrator: %s: %w", o.name, err)
		}
	}
	if _, ok := given["tenant filter"]; ok && !m.hasTenants() {
		return nil, errors.New("new migrator: WithTenantFilter restricts a run to some tenants, but no WithTenants or WithTenantSource names any")
	}
	if m.shard.Count > 0 && !m.hasTenants() {
		return nil, fmt.Errorf("new migrator: %w", errShardWithoutTenants)
	}
	if len(m.waveDefs) > 0 && !m.hasTenants() {
		return nil, errors.New("new migrator: WithWaves runs waves over tenants, but no WithTenants or WithTenantSource names any")
	}
	if m.startWave != "" && len(m.waveDefs) == 0 {
		return nil, errors.New("new migrator: WithStartWave needs WithWaves")
	}
	return m, nil
}

func (m *Migrator) emit(e Event) {
	if m.observer != nil {
		switch x := e.(type) {
		case MigrationFailed:
			x.Err = m.maskErr(x.Err)
			e = x
		case TargetFinished:
			x.Err = m.maskErr(x.Err)
			e = x
		}
		m.observer(e)
	}
}

// Close releases nothing today; it exists so callers can defer it.
func (m *Migrator) Close() error { return nil }

// session describes the database and, the first time in a run, resolves
// the run's targets, the schema of Strata's tables and installed_by.
func (m *run) session(ctx context.Context, conn *sql.Conn) (Session, error) {
	s, err := m.dialect.Describe(ctx, conn)
	if err != nil {
		return s, fmt.Errorf("describe session: %w", err)
	}
	if m.targets == nil {
		all, tenants, err := m.resolveTenants(ctx, conn)
		if err != nil {
			return s, err
		}
		if m.hasTenants() && len(tenants) == 0 {
			return s, errors.New("tenants: " + advise(AdviceNoTenant))
		}
		if m.shard.Count > 0 {
			tenants = m.shard.Of(tenants)
		}
		if len(m.waveDefs) > 0 {
			queried, err := queryWaves(ctx, conn, m.waveDefs)
			if err != nil {
				return s, err
			}
			if tenants, err = m.resolveWaves(all, tenants, queried); err != nil {
				return s, err
			}
		}
		if m.hasTenants() && len(tenants) == 0 {
			// A shard without tenants, or a start wave after every
			// tenant's: a run with nothing to do.
			m.targets = []schemas.Target{}
		}
		if m.targets == nil {
			m.targets, err = schemas.Expand(m.schemas, tenants, s.DefaultSchema)
			if err != nil {
				return s, err
			}
		}
		if m.tables.Schema == "" {
			if len(m.schemas) > 0 {
				m.tables.Schema = m.schemas[0]
			} else {
				m.tables.Schema = s.DefaultSchema
			}
		}
	}
	if m.installedBy == "" {
		m.installedBy = s.User
		if m.installedBy == "" {
			if u, err := user.Current(); err == nil {
				m.installedBy = u.Username
			}
		}
	}
	s.LockTimeout, s.StatementTimeout = m.sqlLockTime, m.stmtTimeout
	if m.hasTenants() {
		s.Managed = m.schemas // after the tenant on the search path
	}
	return s, nil
}

// includeDiscarded reports whether a discarded version v is to be applied
// again (WithIncludeDiscarded).
func (m *Migrator) includeDiscarded(v locations.Version) bool {
	for _, w := range m.included {
		if w.Equal(v) {
			return true
		}
	}
	return false
}

// allowOutOfOrder reports whether v may be applied below the highest
// applied version.
func (m *Migrator) allowOutOfOrder(v locations.Version) bool {
	if m.outOfOrder {
		return true
	}
	for _, h := range m.hotfixes {
		if h.Equal(v) {
			return true
		}
	}
	return false
}

func parseTarget(s string) (targetRef, error) {
	s = strings.TrimSpace(s)
	lenient := strings.HasSuffix(s, "?")
	s = strings.TrimSuffix(s, "?")
	switch strings.ToLower(s) {
	case "", "latest":
		return targetRef{kind: "latest"}, nil
	case "current":
		return targetRef{kind: "current"}, nil
	case "next":
		return targetRef{kind: "next"}, nil
	}
	v, err := locations.ParseVersion(s)
	if err != nil {
		return targetRef{}, fmt.Errorf("target %q: want latest, current, next or a version: %w", s, err)
	}
	return targetRef{kind: "version", version: v, lenient: lenient}, nil
}

// builtins returns the built-in placeholder values for a file on a target.
func (m *run) builtins(s Session, t schemas.Target, f *locations.File, start time.Time) placeholders.Builtins {
	schema := t.Schema
	if schema == "" {
		schema = t.Name
	}
	wd, _ := os.Getwd()
	base := f.Script
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	return placeholders.Builtins{
		Schema:           m.dialect.Quote(schema),
		DefaultSchema:    schema,
		Tenant:           t.Name,
		Env:              m.envName,
		User:             firstNonEmpty(s.User, m.installedBy),
		Database:         s.Database,
		Timestamp:        start.Format("2006-01-02 15:04:05"),
		Filename:         base,
		Table:            m.tables.History,
		WorkingDirectory: wd,
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// replaces reports whether placeholders are replaced in f.
func (m *Migrator) replaces(f *locations.File) bool {
	if f.Directives.Placeholders != nil {
		return *f.Directives.Placeholders
	}
	return m.replace
}
