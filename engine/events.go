package engine

import "time"

// Event is something the engine reports while it works. The concrete types
// are RunStarted, TargetStarted, MigrationStarted, MigrationApplied,
// MigrationFailed and TargetFinished.
type Event interface{ event() }

// RunStarted: Apply begins. Targets is the number of targets with pending
// migrations (targets already up to date are not visited); Total is the
// number of targets in the plan.
type RunStarted struct {
	Targets int
	Total   int
	Pending int // migrations pending over all targets
}

// TargetStarted: the engine holds the target's lock and starts applying.
type TargetStarted struct {
	Target  string
	Pending int
}

// MigrationStarted: a migration is about to run.
type MigrationStarted struct {
	Target    string
	Migration *Entry
}

// MigrationApplied: a migration and its history row were committed.
type MigrationApplied struct {
	Target    string
	Migration *Entry
	Duration  time.Duration
}

// MigrationFailed: a migration failed.
type MigrationFailed struct {
	Target    string
	Migration *Entry
	Err       error
}

// TargetFinished: the target is done, successfully or not. DoneByOther
// reports a target whose pending migrations another runner applied while
// this one waited for its lock.
type TargetFinished struct {
	Target      string
	Applied     int
	Version     string
	Duration    time.Duration
	Err         error
	DoneByOther bool
}

// LockWaiting: another runner holds a lock this run needs (a target's,
// or the one that guards creating Strata's tables), and the run waits for
// it up to Timeout. Holder describes the holder as far as the database
// tells ("" when it does not).
type LockWaiting struct {
	Target  string
	Holder  string
	Timeout time.Duration
}

// LockTaken: a lock the run waited for (LockWaiting) is now held.
type LockTaken struct {
	Target string
	Waited time.Duration
}

func (LockWaiting) event()      {}
func (LockTaken) event()        {}
func (RunStarted) event()       {}
func (TargetStarted) event()    {}
func (MigrationStarted) event() {}
func (MigrationApplied) event() {}
func (MigrationFailed) event()  {}
func (TargetFinished) event()   {}
