package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// createObject finds CREATE statements and the name they create.
var createObject = regexp.MustCompile(`(?i)\bCREATE\s+(?:OR\s+ALTER\s+)?(TABLE|VIEW|PROCEDURE|PROC|FUNCTION|TRIGGER|TYPE|SEQUENCE|SYNONYM)\s+([^\s(;]+)`)

// unqualifiedNames warns about objects a file creates without a schema. On
// SQL Server a session's default schema cannot be switched, so such an
// object lands in the user's default schema, not in the tenant's: tenant
// migrations must write ${strata:schema}.name.
func unqualifiedNames(set *locations.Set, syn placeholders.Syntax) []string {
	prefix := syn.Prefix
	if prefix == "" {
		prefix = placeholders.DefaultPrefix
	}
	var out []string
	for _, list := range [][]*locations.File{set.Versioned, set.Repeatable, set.Baseline} {
		for _, f := range list {
			text, err := f.ReadText()
			if err != nil {
				continue
			}
			for _, m := range createObject.FindAllStringSubmatchIndex(text, -1) {
				name := text[m[4]:m[5]]
				if strings.Contains(name, ".") || strings.HasPrefix(name, "#") || strings.HasPrefix(name, prefix) {
					continue // qualified, a temporary table, or a placeholder
				}
				line, col := placeholders.LineCol(text, m[0])
				out = append(out, fmt.Sprintf("%s:%d:%d: CREATE %s %s has no schema: on SQL Server it lands in the login's default schema, not the tenant's; write ${strata:schema}.%s",
					f.Path(), line, col, strings.ToUpper(text[m[2]:m[3]]), name, name))
			}
		}
	}
	return out
}
