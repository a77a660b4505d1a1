package engine

import "time"

// Event is something the engine reports while it works. The concrete types
// are TargetStarted, MigrationStarted, MigrationApplied, MigrationFailed and
// TargetFinished.
type Event interface{ event() }

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

// TargetFinished: the target is done, successfully or not.
type TargetFinished struct {
	Target   string
	Applied  int
	Version  string
	Duration time.Duration
	Err      error
}

func (TargetStarted) event()    {}
func (MigrationStarted) event() {}
func (MigrationApplied) event() {}
func (MigrationFailed) event()  {}
func (TargetFinished) event()   {}
