package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3" (the
// release build does). When it is empty the module version from the build
// information is used: a tag for `go install ...@v1.2.3`, "(devel)" for a
// build from a checkout.
var version string

// versionText is the version line: the version, then the commit and its
// time when the build recorded them (a build from a git checkout does), and
// "+dirty" for uncommitted changes.
func versionText() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "(devel)"
		if ok && info.Main.Version != "" {
			v = info.Main.Version
		}
	}
	var rev, at string
	dirty := false
	if ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	var extra []string
	if rev != "" {
		c := rev[:min(12, len(rev))]
		if dirty {
			c += "+dirty"
		}
		if at != "" {
			c += " of " + at
		}
		extra = append(extra, "commit "+c)
	}
	extra = append(extra, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return v + " (" + strings.Join(extra, ", ") + ")"
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print strata's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "strata version %s\n", versionText())
			return nil
		},
	}
}
