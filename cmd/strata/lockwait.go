package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/stratadb/strata/engine"
)

// lockWaitDelay is how long a run waits for a lock before it says so.
const lockWaitDelay = time.Second

// lockWait says that a run is waiting for another runner's lock, so that a
// wait of up to the lock timeout does not look like a hang: after
// lockWaitDelay, one line on stderr ("waiting for the lock on main in
// sqlite app.db, held by pid 812 on ci-3 since 2026-12-02T06:00:00Z; 1 s of
// 30 s"), rewritten every second on a terminal, printed once otherwise. The
// engine says when a wait begins (engine.LockWaiting, with the holder as
// the database describes it) and ends (engine.LockTaken, or the target's
// start or end).
type lockWait struct {
	w     io.Writer
	tty   bool
	where func(target string) string // the target with its database

	mu      sync.Mutex
	cur     *engine.LockWaiting // the wait in progress; nil when none
	timer   *time.Timer
	ticker  *time.Ticker
	done    chan struct{}
	began   time.Time
	shown   bool // a line of the current wait was printed
	stopped bool // the run is over
}

// observe follows the engine's events: a LockWaiting starts a wait (one at
// a time is shown), a LockTaken or the target's start or end ends it.
func (l *lockWait) observe(e engine.Event) {
	switch e := e.(type) {
	case engine.LockWaiting:
		l.begin(e)
	case engine.LockTaken, engine.TargetStarted, engine.TargetFinished, engine.MigrationStarted:
		l.mu.Lock()
		l.end()
		l.mu.Unlock()
	}
}

func (l *lockWait) begin(e engine.LockWaiting) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || l.cur != nil {
		return
	}
	l.cur, l.began, l.shown = &e, time.Now(), false
	l.timer = time.AfterFunc(lockWaitDelay, l.fire)
}

// fire prints the line, and on a terminal keeps it up to date.
func (l *lockWait) fire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return
	}
	l.print()
	if !l.tty {
		return
	}
	l.ticker, l.done = time.NewTicker(time.Second), make(chan struct{})
	go func(t *time.Ticker, done chan struct{}) {
		for {
			select {
			case <-done:
				return
			case <-t.C:
				l.mu.Lock()
				if l.cur != nil {
					l.print()
				}
				l.mu.Unlock()
			}
		}
	}(l.ticker, l.done)
}

func (l *lockWait) print() {
	msg := "waiting for the lock on " + l.where(l.cur.Target)
	if h := l.cur.Holder; h != "" {
		msg += ", held by " + h
	}
	msg += fmt.Sprintf("; %d s of %d s", int(time.Since(l.began).Seconds()), int(l.cur.Timeout.Seconds()))
	if l.tty {
		fmt.Fprint(rawWriter(l.w), "\r\x1b[K")
		fmt.Fprint(l.w, msg)
	} else {
		fmt.Fprintln(l.w, msg)
	}
	l.shown = true
}

// end ends the wait in progress, if any; on a terminal its status line is
// ended. l.mu is held.
func (l *lockWait) end() {
	if l.cur == nil {
		return
	}
	l.cur = nil
	if l.timer != nil {
		l.timer.Stop()
	}
	if l.ticker != nil {
		l.ticker.Stop()
		close(l.done)
		l.ticker = nil
	}
	if l.tty && l.shown {
		fmt.Fprintln(l.w)
	}
}

// stop ends the wait in progress and ignores what comes after: the run is
// over.
func (l *lockWait) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.end()
	l.stopped = true
}

// newLockWait returns the lock-wait line of a run on a's env.
func (a *app) newLockWait() *lockWait {
	tty := false
	if f, ok := fileOf(a.stderr); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &lockWait{w: a.stderr, tty: tty, where: func(target string) string {
		return fmt.Sprintf("%s in %s", target, a.where("", 0))
	}}
}
