package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSignalDuringStartup sends SIGTERM while the strata binary is still
// initialising its packages, before main runs: it must exit 130 (not the
// 143 of a process killed by the signal) and apply nothing. The moment is
// found without a clock: GODEBUG=inittrace=1 makes the Go runtime print a
// line as each package finishes its initialisation, and the signal goes out
// when the line of the package that installs the handler appears, while the
// drivers' packages are still to be initialised.
func TestSignalDuringStartup(t *testing.T) {
	bin := strataBinary(t)
	const earlyPkg = "github.com/stratadb/strata/internal/earlysignal"
	for i := 0; i < 5; i++ {
		p := newProject(t, "sqlite://app.db", "", map[string]string{"V1__a.sql": "CREATE TABLE a (id INTEGER);\n"})
		cmd := exec.Command(bin, "migrate")
		cmd.Dir = p.dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "GODEBUG=inittrace=1")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var before, after []string // packages initialised before and after the handler
		var sent bool
		sc := bufio.NewScanner(stderr)
		var rest bytes.Buffer
		for sc.Scan() {
			line := sc.Text()
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "init" {
				rest.WriteString(line + "\n")
				continue
			}
			if sent {
				after = append(after, f[1])
				continue
			}
			before = append(before, f[1])
			if f[1] == earlyPkg {
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				sent = true
			}
		}
		err = cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if !sent {
			t.Fatalf("run %d: %s never initialised (exit %d, err %v); packages: %v", i, earlyPkg, code, err, before)
		}
		if code != exitInterrupted {
			t.Fatalf("run %d: SIGTERM during start-up: exit %d (%v), want %d\nstderr:\n%s", i, code, err, exitInterrupted, rest.String())
		}
		if !strings.Contains(rest.String(), "nothing was applied") {
			t.Errorf("run %d: stderr does not say nothing was applied:\n%s", i, rest.String())
		}
		// The signal is sent during start-up, but on a loaded machine the
		// runtime may hand it to the program a little later, after the
		// database was opened and even Strata's tables created: what must
		// not exist is a migration's table or a history row.
		if _, err := os.Stat(filepath.Join(p.dir, "app.db")); err == nil {
			db, err := sql.Open("sqlite", filepath.Join(p.dir, "app.db"))
			if err != nil {
				t.Fatal(err)
			}
			var tables, rows int
			err = db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'strata%' AND name NOT LIKE 'sqlite%'").Scan(&tables)
			if err == nil {
				var n int
				if db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'strata_schema_history'").Scan(&n); n > 0 {
					err = db.QueryRow("SELECT count(*) FROM strata_schema_history").Scan(&rows)
				}
			}
			db.Close()
			if err != nil || tables > 0 || rows > 0 {
				t.Errorf("run %d: after the signal the database holds %d objects of the migrations and %d history rows (%v): a migration ran", i, tables, rows, err)
			}
		}
		// The handler must precede the heavy packages: that is its point.
		for _, heavy := range []string{"modernc.org/libc", "github.com/hashicorp/hcl/v2/hclsyntax", "github.com/spf13/cobra"} {
			for _, pkg := range before {
				if pkg == heavy {
					t.Errorf("run %d: %s was initialised before %s", i, heavy, earlyPkg)
				}
			}
		}
		if len(after) == 0 {
			t.Errorf("run %d: no package initialised after %s: the signal did not arrive during start-up", i, earlyPkg)
		}
	}
}
