package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/stratadb/strata/engine"
)

// progress reports migrate's progress from the engine's events.
//
// With one target pending (or when the engine never says how many), it
// prints one line per migration, on a terminal or not. With several:
//   - on a terminal, a live bar: targets done/total, failures, rate and
//     ETA, with a line above it for each failed target;
//   - otherwise, one line per finished target, prefixed with a counter.
//
// observe is safe for concurrent use: the engine's workers call it from
// several goroutines.
type progress struct {
	w      io.Writer
	tty    bool
	now    func() time.Time
	redact func(string) string
	// where names the database in the headers (see app.where); nil: the
	// headers do not.
	where func(target string, targets int) string
	// interrupted reports whether the run was interrupted (its context is
	// done): a target stopped by it is then said to be interrupted, not
	// failed. nil: never.
	interrupted func() bool

	mu       sync.Mutex
	started  bool // RunStarted seen
	many     bool // several targets pending: one line (or bar step) per target
	targets  int  // targets with pending work
	done     int  // targets finished
	finished bool
	header   bool // a "migrating ..." line was printed

	// The live display (tty, several targets). The bar's decorators run on
	// mpb's goroutines and read only the atomics below and immutable
	// values, never mu: mpb calls made under mu wait for a render, which
	// would otherwise wait for mu.
	bars    *mpb.Progress
	bar     *mpb.Bar
	failed  atomic.Int64
	byOther atomic.Int64
}

// newProgress returns a reporter writing to w. tty selects the live
// display; now is the clock for the rate and ETA (nil: time.Now); redact
// masks secrets in error messages (nil: none).
func newProgress(w io.Writer, tty bool, now func() time.Time, redact func(string) string) *progress {
	if now == nil {
		now = time.Now
	}
	if redact == nil {
		redact = func(s string) string { return s }
	}
	return &progress{w: w, tty: tty, now: now, redact: redact}
}

// observe reports one engine event.
func (p *progress) observe(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	switch e := e.(type) {
	case engine.RunStarted:
		p.runStarted(e)
		return
	case engine.WaveStarted, engine.WaveFinished, engine.WavePausing:
		p.line(waveLine(e))
		return
	case engine.TargetRetrying:
		p.line(fmt.Sprintf("tenant %s: transient failure, trying again in %s (attempt %d of %d): %s", e.Target, e.Wait, e.Attempt, e.Attempts, p.errorLine(e.Target, e.Err)))
		return
	}
	if !p.many {
		p.migrationLine(e)
		return
	}
	if e, ok := e.(engine.TargetFinished); ok {
		p.targetFinished(e)
	}
}

// runStarted picks the display. Only the first RunStarted counts.
func (p *progress) runStarted(e engine.RunStarted) {
	if p.started {
		return
	}
	p.started = true
	if e.Targets <= 1 {
		return // per-migration lines, as for a single schema
	}
	p.many, p.targets = true, e.Targets
	p.header = true
	where := p.at("", max(e.Total, e.Targets))
	switch {
	case e.Total > e.Targets && p.where != nil:
		fmt.Fprintf(p.w, "migrating %d of %d targets (%s; the rest are up to date)\n", e.Targets, e.Total, p.where("", e.Total))
	case e.Total > e.Targets:
		fmt.Fprintf(p.w, "migrating %d of %d targets (the rest are up to date)\n", e.Targets, e.Total)
	default:
		fmt.Fprintf(p.w, "migrating %d targets%s\n", e.Targets, where)
	}
	if p.tty {
		p.startBar(e.Targets)
	}
}

// line prints a line of its own: above the bar when there is one.
func (p *progress) line(s string) {
	if p.bar != nil {
		_, _ = fmt.Fprintf(p.bars, "%s\n", s) // a closed container refuses it (ErrDone)
		return
	}
	fmt.Fprintln(p.w, s)
}

// waveLine describes the start or the end of a wave.
func waveLine(e engine.Event) string {
	switch e := e.(type) {
	case engine.WaveStarted:
		return fmt.Sprintf("wave %d/%d %s: %d tenant%s, %d pending", e.Number, e.Waves, e.Wave, e.Targets, plural(e.Targets), e.Pending)
	case engine.WavePausing:
		return fmt.Sprintf("pausing %s before wave %d %s", e.Pause, e.Number, e.Wave)
	case engine.WaveFinished:
		if e.Stopped {
			return fmt.Sprintf("wave %d %s: %d failed, more than max_failures (%d): the rollout stops here, no later wave starts", e.Number, e.Wave, e.Failed, e.Budget)
		}
		return fmt.Sprintf("wave %d %s: done, %d failed (max_failures %d)", e.Number, e.Wave, e.Failed, e.Budget)
	}
	return ""
}

// migrationLine prints the per-migration lines of a single target.
func (p *progress) migrationLine(e engine.Event) {
	switch e := e.(type) {
	case engine.TargetStarted:
		p.header = true
		fmt.Fprintf(p.w, "migrating %s%s: %d pending\n", e.Target, p.at(e.Target, 1), e.Pending)
	case engine.MigrationApplied:
		fmt.Fprintf(p.w, "  %-10s %-40s %s\n", label(e.Migration), e.Migration.Description, roundDuration(e.Duration))
	case engine.MigrationFailed:
		fmt.Fprintf(p.w, "  %-10s %-40s %s\n", label(e.Migration), e.Migration.Description, failedWord(e.Err))
		var me *engine.MigrationError
		if errors.As(e.Err, &me) && me.OutcomeUnknown && len(me.SentWith) > 0 {
			fmt.Fprintf(p.w, "  %-10s %-40s %s\n", "+"+strconv.Itoa(len(me.SentWith)), "sent in the same request ("+scriptRange(me.SentWith)+")", "OUTCOME UNKNOWN")
		}
	}
}

// scriptRange names a list of scripts: all of a short list, else the
// first and the last.
func scriptRange(scripts []string) string {
	if len(scripts) > 2 {
		return scripts[0] + " .. " + scripts[len(scripts)-1]
	}
	return strings.Join(scripts, ", ")
}

// headed reports whether a header naming the targets was printed.
func (p *progress) headed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.header
}

// at is " (where)" for a header, or "" without where.
func (p *progress) at(target string, targets int) string {
	if p.where == nil {
		return ""
	}
	return " (" + p.where(target, targets) + ")"
}

// targetFinished reports one finished target of several.
func (p *progress) targetFinished(e engine.TargetFinished) {
	p.done++
	if p.bar == nil {
		total := max(p.targets, p.done)
		fmt.Fprintf(p.w, "[%d/%d] %s\n", p.done, total, p.targetLine(e))
		return
	}
	switch {
	case e.Err != nil:
		p.failed.Add(1)
		// Printed above the bar; a closed container refuses it (ErrDone).
		_, _ = fmt.Fprintf(p.bars, "%s\n", p.targetLine(e))
	case e.DoneByOther:
		p.byOther.Add(1)
	}
	p.bar.Increment()
}

// targetLine describes a finished target in one line.
func (p *progress) targetLine(e engine.TargetFinished) string {
	switch {
	case e.Err != nil && p.interrupted != nil && p.interrupted() && interruptedErr(e.Err):
		return fmt.Sprintf("tenant %s: interrupted (%d applied are kept, at version %s; what was running is listed at the end)", e.Target, e.Applied, orEmpty(e.Version))
	case e.Err != nil:
		return fmt.Sprintf("tenant %s: %s: %s", e.Target, failedWord(e.Err), p.errorLine(e.Target, e.Err))
	case e.DoneByOther:
		return fmt.Sprintf("tenant %s: done by another runner, at version %s", e.Target, orEmpty(e.Version))
	case e.Applied == 0:
		return fmt.Sprintf("tenant %s: up to date at version %s", e.Target, orEmpty(e.Version))
	}
	return fmt.Sprintf("tenant %s: applied %d, now at version %s (%s)", e.Target, e.Applied, orEmpty(e.Version), roundDuration(e.Duration))
}

// errorLine is the redacted first line of err, without the "target X: "
// the engine puts in front (the line already names the target).
func (p *progress) errorLine(target string, err error) string {
	s := p.redact(err.Error())
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "target "+target+": "); ok && rest != "" {
		s = rest
	}
	return s
}

// startBar starts the live display for n targets.
func (p *progress) startBar(n int) {
	start, now := p.now(), p.now
	failed, byOther := &p.failed, &p.byOther
	p.bars = mpb.New(
		mpb.WithOutput(p.w),
		// The caller says w is a terminal; mpb would otherwise only draw
		// when the bar ends if w is not an *os.File (a wrapped stdout).
		mpb.WithAutoRefresh(),
		mpb.WithRefreshRate(200*time.Millisecond),
	)
	p.bar = p.bars.AddBar(int64(n),
		mpb.BarWidth(40),
		mpb.PrependDecorators(
			decor.Name("tenants "),
			decor.CountersNoUnit("%d/%d"),
		),
		mpb.AppendDecorators(decor.Any(func(s decor.Statistics) string {
			var b strings.Builder
			if f := failed.Load(); f > 0 {
				fmt.Fprintf(&b, "%d failed · ", f)
			}
			if o := byOther.Load(); o > 0 {
				fmt.Fprintf(&b, "%d by another runner · ", o)
			}
			b.WriteString(rateAndETA(s, now().Sub(start)))
			return b.String()
		})),
	)
}

// rateAndETA describes the speed of a run elapsed into it: the average
// rate so far and the time left at that rate, or the total time once done.
func rateAndETA(s decor.Statistics, elapsed time.Duration) string {
	ended := s.Completed || s.Aborted
	if s.Current == 0 || elapsed <= 0 {
		if ended {
			return "in " + shortDuration(elapsed)
		}
		return "-/s · ETA -"
	}
	rate := float64(s.Current) / elapsed.Seconds()
	var r string
	switch {
	case rate >= 10:
		r = fmt.Sprintf("%.0f/s", rate)
	case rate >= 1:
		r = fmt.Sprintf("%.1f/s", rate)
	default:
		r = fmt.Sprintf("%.1f/min", rate*60)
	}
	if ended {
		return r + " · in " + shortDuration(elapsed)
	}
	left := time.Duration(float64(s.Total-s.Current) / rate * float64(time.Second))
	return r + " · ETA " + shortDuration(left)
}

// shortDuration rounds d to the second: 1m5s, <1s.
func shortDuration(d time.Duration) string {
	if d < time.Second {
		return "<1s"
	}
	return d.Round(time.Second).String()
}

// finish stops the live display, leaving the bar's last state on screen,
// and prints nothing else. Events observed afterwards are ignored.
func (p *progress) finish() {
	p.mu.Lock()
	if p.finished {
		p.mu.Unlock()
		return
	}
	p.finished = true
	bars, bar := p.bars, p.bar
	p.mu.Unlock()
	if bars != nil {
		bar.Abort(false) // a run that stopped early; no-op once complete
		bars.Wait()
	}
}

// failedWord says how a migration ended: FAILED, or, when the connection
// was lost, OUTCOME UNKNOWN (its COMMIT was sent) or NOT APPLIED.
func failedWord(err error) string {
	var me *engine.MigrationError
	switch {
	case errors.As(err, &me) && me.OutcomeUnknown:
		return "OUTCOME UNKNOWN"
	case me != nil && me.ConnectionLost:
		return "NOT APPLIED (connection lost)"
	}
	return "FAILED"
}

// fleetProgress reports a fleet's progress: a line for each finished
// tenant that had work, and for each retry, naming the tenant's instance.
type fleetProgress struct {
	line *progress // formats the lines (targetLine, errorLine)
}

// newFleetProgress returns the reporter of a fleet's run, whose context
// ctx says whether it was interrupted.
func newFleetProgress(ctx context.Context, redact func(string) string) *fleetProgress {
	line := newProgress(io.Discard, false, nil, redact)
	line.interrupted = func() bool { return ctx.Err() != nil }
	return &fleetProgress{line: line}
}

// observer returns the observer for the instance named inst, which writes
// to w (safe for concurrent use: the instances' writer).
func (f *fleetProgress) observer(inst string, w io.Writer) func(engine.Event) {
	return func(e engine.Event) {
		var s string
		switch e := e.(type) {
		case engine.TargetFinished:
			s = f.line.targetLine(e)
		case engine.TargetRetrying:
			s = fmt.Sprintf("tenant %s: transient failure, trying again in %s (attempt %d of %d): %s", e.Target, e.Wait, e.Attempt, e.Attempts, f.line.errorLine(e.Target, e.Err))
		default:
			return
		}
		fmt.Fprintf(w, "  %s: %s\n", inst, s)
	}
}
