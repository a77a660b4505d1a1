// Package earlysignal starts catching SIGINT and SIGTERM while the program is
// still initialising its packages.
//
// A Go program that has not called signal.Notify yet dies of SIGTERM with the
// shell's 143 (128+15). The strata binary links large packages (three
// database drivers, SQLite compiled to Go) whose initialisation takes tens of
// milliseconds on a busy machine; a signal arriving then must still end the
// run with strata's documented exit code 130. This package imports nothing
// but os/signal and syscall, so the Go runtime initialises it as soon as
// os/signal is ready, before any of those drivers: the command imports it
// first, for its side effect, and reads the signals with [Context].
package earlysignal

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

var ch = make(chan os.Signal, 1)

func init() {
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
}

// Context returns a context cancelled at the first SIGINT or SIGTERM, one
// that arrived before Context was called included, and a stop function that
// stops catching them (a later signal then ends the process as usual).
func Context(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	select {
	case <-ch: // arrived during start-up: cancelled before the caller looks
		cancel()
	default:
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
		}
	}()
	stopped := false
	return ctx, func() {
		if !stopped {
			stopped = true
			signal.Stop(ch)
			close(done)
		}
		cancel()
	}
}
