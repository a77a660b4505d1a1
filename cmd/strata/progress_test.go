package main

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8/decor"

	"github.com/stratadb/strata/engine"
)

// lockedBuffer is a bytes.Buffer safe for the live display's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeClock advances one second at each reading.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func testRedact(s string) string { return strings.ReplaceAll(s, "hunter2", "(sensitive)") }

func v(version, desc string) *engine.Entry {
	return &engine.Entry{Version: version, Description: desc, Category: "Versioned"}
}

// finishWithin fails the test if p.finish does not return in time.
func finishWithin(t *testing.T, p *progress) {
	t.Helper()
	done := make(chan struct{})
	go func() { p.finish(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("finish did not return")
	}
}

func TestProgressText(t *testing.T) {
	failure := errors.New("target beta: V7__bad.sql failed: ERROR: syntax error (SQLSTATE 42601)\n\nStatement:\nCREATE USER x PASSWORD 'hunter2'")
	tests := []struct {
		name   string
		events []engine.Event
		want   string
	}{
		{
			name: "single target",
			events: []engine.Event{
				engine.RunStarted{Targets: 1, Total: 1, Pending: 2},
				engine.TargetStarted{Target: "public", Pending: 2},
				engine.MigrationStarted{Target: "public", Migration: v("1", "create users")},
				engine.MigrationApplied{Target: "public", Migration: v("1", "create users"), Duration: 3200 * time.Microsecond},
				engine.MigrationStarted{Target: "public", Migration: v("2", "add index")},
				engine.MigrationApplied{Target: "public", Migration: &engine.Entry{Description: "views", Category: "Repeatable"}, Duration: 1500 * time.Millisecond},
				engine.TargetFinished{Target: "public", Applied: 2, Version: "1", Duration: 2 * time.Second},
			},
			want: "migrating public: 2 pending\n" +
				"  V1         create users                             3ms\n" +
				"  R          views                                    1.5s\n",
		},
		{
			name: "single target failure",
			events: []engine.Event{
				engine.RunStarted{Targets: 1, Total: 1, Pending: 2},
				engine.TargetStarted{Target: "public", Pending: 2},
				engine.MigrationApplied{Target: "public", Migration: v("1", "create users"), Duration: time.Millisecond},
				engine.MigrationFailed{Target: "public", Migration: v("2", "add index"), Err: failure},
				engine.TargetFinished{Target: "public", Applied: 1, Version: "1", Err: failure},
			},
			want: "migrating public: 2 pending\n" +
				"  V1         create users                             1ms\n" +
				"  V2         add index                                FAILED\n",
		},
		{
			name: "no RunStarted: per-migration lines",
			events: []engine.Event{
				engine.TargetStarted{Target: "public", Pending: 1},
				engine.MigrationApplied{Target: "public", Migration: v("1.1", "init"), Duration: time.Millisecond},
				engine.TargetFinished{Target: "public", Applied: 1, Version: "1.1"},
			},
			want: "migrating public: 1 pending\n" +
				"  V1.1       init                                     1ms\n",
		},
		{
			name:   "nothing pending",
			events: []engine.Event{engine.RunStarted{Targets: 0, Total: 5}},
			want:   "",
		},
		{
			name: "many targets",
			events: []engine.Event{
				engine.RunStarted{Targets: 4, Total: 10, Pending: 9},
				engine.TargetStarted{Target: "acme", Pending: 3},
				engine.MigrationApplied{Target: "acme", Migration: v("5", "x"), Duration: time.Millisecond},
				engine.TargetStarted{Target: "beta", Pending: 3},
				engine.MigrationFailed{Target: "beta", Migration: v("7", "bad"), Err: failure},
				engine.TargetFinished{Target: "acme", Applied: 3, Version: "7", Duration: 120 * time.Millisecond},
				engine.TargetFinished{Target: "beta", Applied: 2, Version: "6", Err: failure},
				engine.TargetFinished{Target: "gamma", Version: "7", DoneByOther: true},
				engine.TargetFinished{Target: "delta", Err: errors.New("connect: dial postgres://app:hunter2@db/x: refused")},
			},
			want: "migrating 4 of 10 targets (the rest are up to date)\n" +
				"[1/4] tenant acme: applied 3, now at version 7 (120ms)\n" +
				"[2/4] tenant beta: FAILED: V7__bad.sql failed: ERROR: syntax error (SQLSTATE 42601)\n" +
				"[3/4] tenant gamma: done by another runner, at version 7\n" +
				"[4/4] tenant delta: FAILED: connect: dial postgres://app:(sensitive)@db/x: refused\n",
		},
		{
			name: "waves and a retry",
			events: []engine.Event{
				engine.RunStarted{Targets: 3, Total: 3, Pending: 3},
				engine.WaveStarted{Wave: "canary", Number: 1, Waves: 2, Targets: 1, Pending: 1},
				engine.TargetRetrying{Target: "acme", Attempt: 2, Attempts: 3, Wait: time.Second, Err: errors.New("target acme: connect: dial postgres://app:hunter2@db/x: reset")},
				engine.TargetFinished{Target: "acme", Applied: 1, Version: "2", Duration: 5 * time.Millisecond},
				engine.WaveFinished{Wave: "canary", Number: 1, Failed: 0, Budget: 0},
				engine.WavePausing{Wave: "rest", Number: 2, Pause: 30 * time.Second},
				engine.WaveStarted{Wave: "rest", Number: 2, Waves: 2, Targets: 2, Pending: 2},
				engine.TargetFinished{Target: "beta", Err: failure},
				engine.TargetFinished{Target: "gamma", Err: errors.New("target gamma: V7__bad.sql failed: ERROR: syntax error (SQLSTATE 42601)")},
				engine.WaveFinished{Wave: "rest", Number: 2, Failed: 2, Budget: 1, Stopped: true},
			},
			want: "migrating 3 targets\n" +
				"wave 1/2 canary: 1 tenant, 1 pending\n" +
				"tenant acme: transient failure, trying again in 1s (attempt 2 of 3): connect: dial postgres://app:(sensitive)@db/x: reset\n" +
				"[1/3] tenant acme: applied 1, now at version 2 (5ms)\n" +
				"wave 1 canary: done, 0 failed (max_failures 0)\n" +
				"pausing 30s before wave 2 rest\n" +
				"wave 2/2 rest: 2 tenants, 2 pending\n" +
				"[2/3] tenant beta: FAILED: V7__bad.sql failed: ERROR: syntax error (SQLSTATE 42601)\n" +
				"[3/3] tenant gamma: FAILED: V7__bad.sql failed: ERROR: syntax error (SQLSTATE 42601)\n" +
				"wave 2 rest: 2 failed, more than max_failures (1): the rollout stops here, no later wave starts\n",
		},
		{
			name: "all targets pending, empty version, extra finish",
			events: []engine.Event{
				engine.RunStarted{Targets: 2, Total: 2, Pending: 2},
				engine.TargetFinished{Target: "a", Applied: 1, Version: "", Duration: 2 * time.Second},
				engine.TargetFinished{Target: "b", Version: "3"},
				engine.TargetFinished{Target: "c", Applied: 1, Version: "3", Duration: 1234 * time.Millisecond},
				engine.RunStarted{Targets: 1, Total: 1}, // only the first counts
			},
			want: "migrating 2 targets\n" +
				"[1/2] tenant a: applied 1, now at version << Empty Schema >> (2s)\n" +
				"[2/2] tenant b: up to date at version 3\n" +
				"[3/3] tenant c: applied 1, now at version 3 (1.23s)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := newProgress(&buf, false, nil, testRedact)
			for _, e := range tt.events {
				p.observe(e)
			}
			p.finish()
			p.observe(engine.TargetStarted{Target: "late", Pending: 1}) // ignored
			p.finish()                                                  // idempotent
			if got := buf.String(); got != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestProgressConcurrent(t *testing.T) {
	const n = 200
	for _, tty := range []bool{false, true} {
		t.Run(fmt.Sprintf("tty=%v", tty), func(t *testing.T) {
			var buf lockedBuffer
			clock := &fakeClock{}
			p := newProgress(&buf, tty, clock.now, testRedact)
			p.observe(engine.RunStarted{Targets: n, Total: 2 * n, Pending: 2 * n})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					name := fmt.Sprintf("t%03d", i)
					p.observe(engine.TargetStarted{Target: name, Pending: 2})
					for j := range 2 {
						m := v(fmt.Sprint(j+1), "step")
						p.observe(engine.MigrationStarted{Target: name, Migration: m})
						p.observe(engine.MigrationApplied{Target: name, Migration: m, Duration: time.Millisecond})
					}
					var err error
					if i%10 == 0 {
						err = errors.New("boom hunter2")
					}
					p.observe(engine.TargetFinished{Target: name, Applied: 2, Version: "2", Duration: time.Millisecond, Err: err})
				})
			}
			wg.Wait()
			finishWithin(t, p)
			out := buf.String()
			if strings.Contains(out, "hunter2") {
				t.Errorf("secret printed:\n%s", out)
			}
			if got, want := strings.Count(out, "FAILED: boom (sensitive)"), n/10; got != want {
				t.Errorf("%d failure lines, want %d", got, want)
			}
			if tty {
				if !strings.Contains(out, fmt.Sprintf("%d/%d", n, n)) || !strings.Contains(out, fmt.Sprintf("%d failed", n/10)) {
					t.Errorf("final bar missing:\n%s", out)
				}
				return
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != n+1 {
				t.Fatalf("%d lines, want %d", len(lines), n+1)
			}
			re := regexp.MustCompile(`^\[(\d+)/200\] tenant (t\d{3}): `)
			var tenants []string
			for i, l := range lines[1:] {
				m := re.FindStringSubmatch(l)
				if m == nil || m[1] != fmt.Sprint(i+1) {
					t.Fatalf("line %d: %q", i+1, l)
				}
				tenants = append(tenants, m[2])
			}
			sort.Strings(tenants)
			for i, tn := range tenants {
				if want := fmt.Sprintf("t%03d", i); tn != want {
					t.Fatalf("tenant %s, want %s", tn, want)
				}
			}
		})
	}
}

func TestProgressTTY(t *testing.T) {
	t.Run("bar", func(t *testing.T) {
		var buf lockedBuffer
		clock := &fakeClock{}
		p := newProgress(&buf, true, clock.now, testRedact)
		p.observe(engine.RunStarted{Targets: 3, Total: 5, Pending: 6})
		p.observe(engine.TargetFinished{Target: "acme", Applied: 2, Version: "7"})
		p.observe(engine.TargetFinished{Target: "beta", Err: errors.New("target beta: password hunter2 rejected\nmore")})
		p.observe(engine.TargetFinished{Target: "gamma", Version: "7", DoneByOther: true})
		finishWithin(t, p)
		out := buf.String()
		for _, want := range []string{
			"migrating 3 of 5 targets (the rest are up to date)\n",
			"tenant beta: FAILED: password (sensitive) rejected\n",
			"tenants 3/3",
			"1 failed",
			"1 by another runner",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in:\n%q", want, out)
			}
		}
		if strings.Contains(out, "hunter2") || strings.Contains(out, "more") {
			t.Errorf("secret or second error line printed:\n%q", out)
		}
	})
	t.Run("stopped early", func(t *testing.T) {
		var buf lockedBuffer
		p := newProgress(&buf, true, nil, nil)
		p.observe(engine.RunStarted{Targets: 1000, Total: 1000})
		p.observe(engine.TargetFinished{Target: "acme", Applied: 1, Version: "1"})
		finishWithin(t, p)
		if !strings.Contains(buf.String(), "1/1000") {
			t.Errorf("bar missing:\n%q", buf.String())
		}
	})
	t.Run("single target: lines, no bar", func(t *testing.T) {
		var buf lockedBuffer
		p := newProgress(&buf, true, nil, nil)
		p.observe(engine.RunStarted{Targets: 1, Total: 1, Pending: 1})
		p.observe(engine.TargetStarted{Target: "public", Pending: 1})
		p.observe(engine.MigrationApplied{Target: "public", Migration: v("1", "init"), Duration: time.Millisecond})
		p.observe(engine.TargetFinished{Target: "public", Applied: 1, Version: "1"})
		finishWithin(t, p)
		want := "migrating public: 1 pending\n  V1         init                                     1ms\n"
		if got := buf.String(); got != want {
			t.Errorf("output:\n%q\nwant:\n%q", got, want)
		}
	})
	t.Run("finish without events", func(t *testing.T) {
		var buf lockedBuffer
		finishWithin(t, newProgress(&buf, true, nil, nil))
		if buf.String() != "" {
			t.Errorf("output %q", buf.String())
		}
	})
}

func TestProgressRateAndETA(t *testing.T) {
	tests := []struct {
		cur, total int64
		elapsed    time.Duration
		done       bool
		want       string
	}{
		{0, 10, 0, false, "-/s · ETA -"},
		{2, 10, time.Second, false, "2.0/s · ETA 4s"},
		{50, 200, 2 * time.Second, false, "25/s · ETA 6s"},
		{10, 10, 4 * time.Second, true, "2.5/s · in 4s"},
		{1, 3, 10 * time.Minute, false, "0.1/min · ETA 20m0s"},
		{0, 3, 5 * time.Second, true, "in 5s"},
	}
	for _, tt := range tests {
		s := decor.Statistics{Current: tt.cur, Total: tt.total, Completed: tt.done}
		if got := rateAndETA(s, tt.elapsed); got != tt.want {
			t.Errorf("rateAndETA(%d/%d, %s) = %q, want %q", tt.cur, tt.total, tt.elapsed, got, tt.want)
		}
	}
}

// TestProgressWhere: the headers name the database when where is set.
func TestProgressWhere(t *testing.T) {
	where := func(target string, n int) string {
		if target != "" {
			return "postgres h:5432/db, schema " + target
		}
		return fmt.Sprintf("postgres h:5432/db, %d tenants", n)
	}
	var b strings.Builder
	p := newProgress(&b, false, nil, nil)
	p.where = where
	p.observe(engine.RunStarted{Targets: 1, Total: 1, Pending: 1})
	p.observe(engine.TargetStarted{Target: "app", Pending: 1})
	if got, want := b.String(), "migrating app (postgres h:5432/db, schema app): 1 pending\n"; got != want || !p.headed() {
		t.Errorf("one target: %q, headed %v; want %q", got, p.headed(), want)
	}
	b.Reset()
	p = newProgress(&b, false, nil, nil)
	p.where = where
	p.observe(engine.RunStarted{Targets: 3, Total: 5, Pending: 3})
	if got, want := b.String(), "migrating 3 of 5 targets (postgres h:5432/db, 5 tenants; the rest are up to date)\n"; got != want {
		t.Errorf("several targets: %q; want %q", got, want)
	}
}
