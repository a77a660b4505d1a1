package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/stratadb/strata/internal/pgtest"
)

// runOnTerminal runs strata on a pseudo-terminal, answers the confirmation
// prompt with answer, and returns the output and the exit code.
func runOnTerminal(t *testing.T, dir, answer string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(strataBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("start on a pseudo-terminal: %v", err)
	}
	defer f.Close()
	var out bytes.Buffer
	buf := make([]byte, 4096)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Type yes to continue: ") {
		if time.Now().After(deadline) {
			t.Fatalf("no prompt; output so far:\n%s", out.String())
		}
		n, err := f.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			t.Fatalf("no prompt (%v); output:\n%s", err, out.String())
		}
	}
	if _, err := f.Write([]byte(answer + "\n")); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(f) // ends with EIO when the process exits
	out.Write(rest)
	err = cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

func TestCleanConfirmedOnTerminal(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("strata.hcl", "locations = [\"db\"]\nenv \"dev\" {\n  url            = \"sqlite://x.db\"\n  clean_disabled = false\n}\n")
	write("db/V1__a.sql", "CREATE TABLE a (id INTEGER);\n")
	cmd := exec.Command(strataBinary(t), "migrate")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	// Answering anything but yes changes nothing.
	out, code := runOnTerminal(t, dir, "no", "clean")
	if code != exitUsage || !strings.Contains(out, "drop every object of schema main") || !strings.Contains(out, `TABLE "a"`) || !strings.Contains(out, "not confirmed") ||
		!strings.Contains(out, "schemas to drop (created by strata): none") || !strings.Contains(out, "schemas to empty (existed before strata): main") {
		t.Fatalf("answered no: exit %d, output:\n%s", code, out)
	}
	info := exec.Command(strataBinary(t), "info")
	info.Dir = dir
	if b, _ := info.CombinedOutput(); !strings.Contains(string(b), "Success") {
		t.Fatalf("something was cleaned after answering no:\n%s", b)
	}

	// Yes cleans.
	out, code = runOnTerminal(t, dir, "yes", "clean")
	if code != 0 {
		t.Fatalf("answered yes: exit %d, output:\n%s", code, out)
	}
	info = exec.Command(strataBinary(t), "info")
	info.Dir = dir
	if b, _ := info.CombinedOutput(); !strings.Contains(string(b), "Pending") || strings.Contains(string(b), "Success") {
		t.Fatalf("not cleaned after answering yes:\n%s", b)
	}
}

// TestMigrateConfirmOnTerminal: an env with confirm = true shows the
// database, what is pending and the backup reminder on a terminal, and
// migrates only after "yes".
func TestMigrateConfirmOnTerminal(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, `
-- strata.hcl --
locations = ["db"]
env "prod" {
  url     = "sqlite://x.db"
  confirm = true
}
-- db/V1__a.sql --
CREATE TABLE a (id INTEGER);
-- db/V2__b.sql --
CREATE TABLE b (id INTEGER);
`)
	out, code := runOnTerminal(t, dir, "no", "migrate")
	for _, want := range []string{"migrate (confirm = true in env prod) will:", "on env prod (sqlite x.db)", "pending: 2 migrations on 1 target:",
		"V1 a (db/V1__a.sql)", "V2 b (db/V2__b.sql)", "take a backup first", "not confirmed; nothing was changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("answered no: output lacks %q:\n%s", want, out)
		}
	}
	if code != exitUsage || strings.Contains(out, "applied") {
		t.Fatalf("answered no: exit %d:\n%s", code, out)
	}
	info := exec.Command(strataBinary(t), "info")
	info.Dir = dir
	if b, _ := info.CombinedOutput(); strings.Contains(string(b), "Success") {
		t.Fatalf("migrated after answering no:\n%s", b)
	}
	out, code = runOnTerminal(t, dir, "yes", "migrate")
	if code != 0 || !strings.Contains(out, "applied 2 migrations") {
		t.Fatalf("answered yes: exit %d:\n%s", code, out)
	}
}

// TestMigrateConfirmOnTerminalPostgres: the prompt names host, database,
// schemas and the tenant count, never the password.
func TestMigrateConfirmOnTerminalPostgres(t *testing.T) {
	u, err := neturl.Parse(pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.UserPassword(u.User.Username(), "s3cret-pw") // the server trusts the user: the password is never checked
	dir := t.TempDir()
	writeFiles(t, dir, fmt.Sprintf(`
-- strata.hcl --
locations = ["db"]
env "prod" {
  url     = %q
  confirm = true
  schemas = ["shared"]
  tenants {
    schemas = ["t_one", "t_two"]
  }
}
-- db/V1__a.sql --
CREATE TABLE a (id int);
`, u.String()))
	out, code := runOnTerminal(t, dir, "yes", "migrate")
	host := u.Host
	if u.Port() == "" {
		host += ":5432"
	}
	for _, want := range []string{"on env prod (postgres " + host + u.Path, "schemas: shared", "tenants: 2, 2 of them with pending migrations",
		"pending: 2 migrations on 2 targets:", "V1 a (db/V1__a.sql) on 2 targets", "take a backup first"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret-pw") {
		t.Errorf("the password is shown:\n%s", out)
	}
	if code != 0 || !strings.Contains(out, "2 migrated") {
		t.Fatalf("answered yes: exit %d:\n%s", code, out)
	}
}

// TestMarkAppliedConfirmedOnTerminal: mark-applied lists the rows it will
// write and writes them only after "yes".
func TestMarkAppliedConfirmedOnTerminal(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, `
-- strata.hcl --
locations = ["db"]
env "dev" {
  url = "sqlite://x.db"
}
-- db/V1__a.sql --
CREATE TABLE a (id INTEGER);
`)
	out, code := runOnTerminal(t, dir, "no", "mark-applied", "1")
	if code != exitUsage || !strings.Contains(out, "target main: mark version 1 (a) applied without running db/V1__a.sql") || !strings.Contains(out, "not confirmed") {
		t.Fatalf("answered no: exit %d:\n%s", code, out)
	}
	out, code = runOnTerminal(t, dir, "yes", "mark-applied", "1")
	if code != 0 || !strings.Contains(out, "mark-applied on env dev (sqlite x.db):") {
		t.Fatalf("answered yes: exit %d:\n%s", code, out)
	}
	migrate := exec.Command(strataBinary(t), "migrate")
	migrate.Dir = dir
	if b, err := migrate.CombinedOutput(); err != nil || !strings.Contains(string(b), "up to date at version 1") {
		t.Fatalf("migrate after mark-applied: %v\n%s", err, b)
	}
}
