package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func TestVersionCommandAndFlagAgree(t *testing.T) {
	run := func(args ...string) string {
		var out bytes.Buffer
		a := &app{stdout: &out, stderr: &out}
		root := a.rootCommand()
		root.SetOut(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("strata %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	cmd, flag := run("version"), run("--version")
	if cmd != flag {
		t.Errorf("strata version = %q, strata --version = %q: want the same line", cmd, flag)
	}
	if !strings.HasPrefix(cmd, "strata version ") || !strings.Contains(cmd, runtime.Version()) {
		t.Errorf("strata version = %q, want the version and %s", cmd, runtime.Version())
	}
}

func TestVersionFromLinkerFlag(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v9.8.7"
	if got := versionText(); !strings.HasPrefix(got, "v9.8.7 (") {
		t.Errorf("versionText = %q, want it to start with the version set by -ldflags", got)
	}
}
