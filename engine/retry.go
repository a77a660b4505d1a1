package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stratadb/strata/internal/ctxsleep"
)

// TransientErrors is implemented by dialects that can tell a failure that
// may not happen again: PostgreSQL's serialization failure (40001),
// deadlock (40P01), lock_not_available (55P03) and admin shutdown (57P01).
// A target that failed that way, with its migration rolled back, is tried
// again (WithTargetRetries).
type TransientErrors interface {
	IsTransient(err error) bool
}

// WithTargetRetries tries a target again, up to n more times, when it
// failed for a reason that may not last: the connection was lost (before
// or during a COMMIT: the history, read again under the lock, tells what
// was committed), or the dialect calls the error transient
// (TransientErrors) and the migration was rolled back. The waits between
// attempts start at backoff and double, up to 30 s. A statement-by-
// statement file cut off half-way, a callback's failure and every other
// error (syntax, constraint violations, a lock timeout waiting for
// another runner) are not tried again. Default: no retry.
func WithTargetRetries(n int, backoff time.Duration) Option {
	return option("target retries", "WithTargetRetries", func(m *Migrator) error {
		if n < 0 || backoff < 0 {
			return errors.New("target retries: n and backoff must not be negative")
		}
		m.targetRetries, m.targetBackoff = n, backoff
		return nil
	})
}

// TargetRetrying: a target failed for a transient reason and is tried
// again after Wait. Attempt is the attempt about to start (2 for the
// first retry), of at most Attempts.
type TargetRetrying struct {
	Target   string
	Attempt  int
	Attempts int
	Wait     time.Duration
	Err      error
}

func (TargetRetrying) event() {}

// attemptKey keys the attempt in an attempt's context: applyTarget does
// not report a transient failure as the target's end when another attempt
// may come, and counts what earlier attempts applied when it reports it.
type attemptKey struct{}

type attempt struct {
	more    bool     // another attempt may follow this one
	applied int      // migrations earlier attempts applied
	unknown []string // scripts whose outcome an earlier attempt left unknown (a lost connection)
}

// committedEarlier is the number of migrations whose outcome an earlier
// attempt of the target of ctx left unknown and that this attempt, which
// succeeded with applied, did not apply: they were committed then.
func committedEarlier(ctx context.Context, applied []AppliedMigration) int {
	a, _ := ctx.Value(attemptKey{}).(attempt)
	return len(earlierCommits(a.unknown, applied))
}

// earlierCommits returns the scripts of unknown that applied does not hold.
func earlierCommits(unknown []string, applied []AppliedMigration) []string {
	var out []string
	for _, s := range unknown {
		if !slices.ContainsFunc(applied, func(a AppliedMigration) bool { return a.Script == s }) {
			out = append(out, s)
		}
	}
	return out
}

// unknownScripts returns the scripts whose outcome err leaves unknown: the
// migration cut off by a lost connection and those sent with it.
func unknownScripts(err error, tp *TargetPlan) []string {
	var me *MigrationError
	if !errors.As(err, &me) || !me.OutcomeUnknown {
		return nil
	}
	var out []string
	for _, e := range tp.Pending {
		if e.File != nil && e.File.Path() == me.Path {
			out = append(out, e.Script)
		}
	}
	return append(out, me.SentWith...)
}

// retriedLater reports whether applyTarget's failure err, in ctx, will be
// tried again (so that it is not reported as the target's end).
func (m *run) retriedLater(ctx context.Context, err error) bool {
	a, _ := ctx.Value(attemptKey{}).(attempt)
	return a.more && m.Transient(err)
}

// appliedBefore is the number of migrations the earlier attempts of the
// target of ctx applied.
func appliedBefore(ctx context.Context) int {
	a, _ := ctx.Value(attemptKey{}).(attempt)
	return a.applied
}

// Transient reports whether err, a target's failure, is worth trying the
// target again (see WithTargetRetries).
func (m *Migrator) Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var le *LockError
	if errors.As(err, &le) {
		return false // another runner holds the target: waited for already
	}
	var ce *CallbackError
	if errors.As(err, &ce) {
		return false
	}
	var me *MigrationError
	if errors.As(err, &me) {
		if me.Partial != nil {
			return false // a statement-by-statement file cut off half-way: recovered by hand
		}
		if me.ConnectionLost {
			return true
		}
		te, ok := m.dialect.(TransientErrors)
		return ok && me.RolledBack && te.IsTransient(err)
	}
	// Before any migration ran: connecting, Strata's tables, the lock, the
	// history read.
	if cl, ok := m.dialect.(ConnectionLoss); ok {
		if lost, _ := cl.ConnectionLost(err); lost {
			return true
		}
	}
	te, ok := m.dialect.(TransientErrors)
	return ok && te.IsTransient(err)
}

// applyTargetRetrying is applyTarget, tried again after a transient
// failure as WithTargetRetries says. The result's Retries holds the
// failures that were tried again.
func (m *run) applyTargetRetrying(ctx context.Context, p *Plan, tp *TargetPlan, wait bool) TargetResult {
	var retried []error
	var applied []AppliedMigration
	var unknown []string
	wait0 := m.targetBackoff
	began := time.Now()
	for n := 1; ; n++ {
		actx := context.WithValue(ctx, attemptKey{}, attempt{more: n <= m.targetRetries, applied: len(applied), unknown: unknown})
		tr := m.applyTarget(actx, p, tp, wait)
		if tr.Err == nil {
			// An earlier attempt's migrations of unknown outcome that this
			// one found applied were committed by that attempt.
			for _, s := range earlierCommits(unknown, tr.Applied) {
				for _, e := range tp.Pending {
					if e.Script == s {
						applied = append(applied, AppliedMigration{Version: e.Version, Description: e.Description, Type: e.Type, Script: e.Script})
					}
				}
			}
		}
		// What earlier attempts applied stays applied.
		tr.Applied = append(append([]AppliedMigration(nil), applied...), tr.Applied...)
		tr.Retries = retried
		tr.Duration = time.Since(began)
		var le *LockError
		if tr.Err == nil || n > m.targetRetries || !m.Transient(tr.Err) || (errors.As(tr.Err, &le) && le.busy) {
			return tr
		}
		applied = tr.Applied
		unknown = unknownScripts(tr.Err, tp)
		retried = append(retried, m.maskErr(tr.Err))
		m.logger.Info("target failed for a transient reason; trying again", "target", tp.Target.Name, "attempt", n+1, "wait", wait0, "err", m.maskErr(tr.Err))
		m.emit(TargetRetrying{Target: tp.Target.Name, Attempt: n + 1, Attempts: m.targetRetries + 1, Wait: wait0, Err: m.maskErr(tr.Err)})
		ctxsleep.Sleep(ctx, wait0)
		if err := ctx.Err(); err != nil {
			tr.Err = errors.Join(tr.Err, fmt.Errorf("target %s: not tried again: %w", tp.Target.Name, err))
			tr.Duration = time.Since(began)
			// The attempt's end was not reported (it was to be tried again).
			m.emit(TargetFinished{Target: tp.Target.Name, Applied: len(tr.Applied), Version: tr.Version, Duration: tr.Duration, Err: tr.Err})
			return tr
		}
		wait0 = min(2*wait0, 30*time.Second)
		wait = true // a retry waits for the lock like a deferred target
	}
}
