package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/sqlite"
)

// lockWaitDelay is how long a run waits for its target's lock before it
// says so.
const lockWaitDelay = time.Second

// lockWait says that a run is waiting for another runner's lock, so that a
// wait of up to the lock timeout does not look like a hang: after
// lockWaitDelay, one line on stderr ("waiting for the lock on main, held
// by pid 812 on ci-3 since 2026-12-02T06:00:00Z; 1 s of 30 s"), rewritten
// every second on a terminal, printed once otherwise.
//
// The engine emits no event when it starts waiting, so the wait is
// inferred: a single-target migrate runs from RunStarted to TargetStarted
// with nothing slow in between but the lock (and the bootstrap lock). The
// holder is known for SQLite only, from its lock file; PostgreSQL and SQL
// Server name theirs in the timeout error.
type lockWait struct {
	w       io.Writer
	tty     bool
	timeout time.Duration
	what    func() string // the target, with its database
	holder  func() string // "" when not known

	mu      sync.Mutex
	timer   *time.Timer
	ticker  *time.Ticker
	done    chan struct{}
	began   time.Time
	shown   bool // a line was printed
	stopped bool
}

// observe starts the wait at a single target's RunStarted and ends it at
// the target's first event.
func (l *lockWait) observe(e engine.Event) {
	switch e := e.(type) {
	case engine.RunStarted:
		if e.Targets == 1 {
			l.start()
		}
	case engine.TargetStarted, engine.TargetFinished, engine.MigrationStarted:
		l.stop()
	}
}

func (l *lockWait) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || l.timer != nil {
		return
	}
	l.began = time.Now()
	l.timer = time.AfterFunc(lockWaitDelay, l.fire)
}

// fire prints the line, and on a terminal keeps it up to date.
func (l *lockWait) fire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
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
				if !l.stopped {
					l.print()
				}
				l.mu.Unlock()
			}
		}
	}(l.ticker, l.done)
}

// print writes the line; l.mu is held.
func (l *lockWait) print() {
	msg := "waiting for the lock on " + l.what()
	if h := l.holder(); h != "" {
		msg += ", held by " + h
	}
	msg += fmt.Sprintf("; %d s of %d s", int(time.Since(l.began).Seconds()), int(l.timeout.Seconds()))
	if l.tty {
		fmt.Fprint(rawWriter(l.w), "\r\x1b[K")
		fmt.Fprint(l.w, msg)
	} else {
		fmt.Fprintln(l.w, msg)
	}
	l.shown = true
}

// stop ends the wait: the lock was taken, or the run is over. On a
// terminal the status line is ended.
func (l *lockWait) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	l.stopped = true
	if l.timer != nil {
		l.timer.Stop()
	}
	if l.ticker != nil {
		l.ticker.Stop()
		close(l.done)
	}
	if l.tty && l.shown {
		fmt.Fprintln(l.w)
	}
}

// newLockWait returns the lock-wait line of a run on a's env; targets
// names the run's targets once planned.
func (a *app) newLockWait(targets []string) *lockWait {
	tty := false
	if f, ok := fileOf(a.stderr); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	env := a.cfg.Env
	return &lockWait{
		w: a.stderr, tty: tty, timeout: env.Lock.Timeout,
		what: func() string {
			if t := targets; len(t) == 1 {
				return fmt.Sprintf("%s (%s)", t[0], a.where(t[0], 1))
			}
			return fmt.Sprintf("env %s (%s)", env.Name, a.where("", 0))
		},
		holder: func() string { return a.sqliteHolder() },
	}
}

// sqliteHolder is the holder line of a SQLite database's lock file ("pid
// 812 on ci-3 since ..."), "" for another database or an empty file.
func (a *app) sqliteHolder() string {
	env := a.cfg.Env
	if !strings.HasPrefix(strings.ToLower(env.URL.Text), "sqlite:") {
		return ""
	}
	p, err := sqlite.PathFromURL(env.URL.Text, a.cfg.Dir)
	if err != nil || p == ":memory:" {
		return ""
	}
	b, err := os.ReadFile(p + ".strata-lock")
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return a.shown(line)
}
