package placeholders

import (
	"fmt"
	"slices"
	"strings"
)

// Lookup returns the value of a placeholder and whether it is defined. Expand,
// Scan and Reader call it with the name lower-cased; the lookups of this
// package accept any case.
type Lookup func(name string) (value string, ok bool)

// Values holds user placeholder values under lower-cased names.
type Values map[string]string

// NewValues merges maps into one Values: names are lower-cased and a later map
// wins over an earlier one key by key ("App_Role" in the second map replaces
// "app_role" from the first). Two keys of one map that differ only by case are
// an error naming both. Nil maps are skipped.
func NewValues(maps ...map[string]string) (Values, error) {
	v := Values{}
	var problems []string
	for _, m := range maps {
		seen := make(map[string][]string, len(m))
		for k := range m {
			lk := strings.ToLower(k)
			seen[lk] = append(seen[lk], k)
		}
		keys := make([]string, 0, len(seen))
		for lk := range seen {
			keys = append(keys, lk)
		}
		slices.Sort(keys)
		for _, lk := range keys {
			names := seen[lk]
			if len(names) > 1 {
				slices.Sort(names)
				problems = append(problems, "placeholder names "+quoteList(names)+" differ only by case")
				continue
			}
			v[lk] = m[names[0]]
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("merge placeholder values: %s", strings.Join(problems, "; "))
	}
	return v, nil
}

// quoteList renders ["a" "b" "c"] as `"a", "b" and "c"`.
func quoteList(names []string) string {
	var sb strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			sb.WriteString(" and ")
		default:
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%q", n)
	}
	return sb.String()
}

// Lookup returns the value for name, in any case.
func (v Values) Lookup(name string) (string, bool) {
	val, ok := v[strings.ToLower(name)]
	return val, ok
}

// Builtins holds the values of the built-in placeholders for one file of one
// target. A field left empty makes its placeholders undefined, so the engine
// can leave out what it does not know.
type Builtins struct {
	Schema           string // strata:schema: the target schema as a quoted identifier
	DefaultSchema    string // flyway:defaultSchema: the default schema, raw
	Tenant           string // strata:tenant: the tenant name, raw
	Env              string // strata:env, flyway:environment
	User             string // strata:user, flyway:user
	Database         string // strata:database, flyway:database
	Timestamp        string // strata:timestamp, flyway:timestamp
	Filename         string // strata:filename, flyway:filename
	Table            string // strata:table, flyway:table
	WorkingDirectory string // flyway:workingDirectory
}

// builtinNames lists the built-in names as documented, in lookup order.
var builtinNames = []string{
	"strata:schema", "strata:tenant", "strata:env", "strata:user", "strata:database",
	"strata:timestamp", "strata:filename", "strata:table",
	"flyway:defaultSchema", "flyway:user", "flyway:database", "flyway:timestamp",
	"flyway:filename", "flyway:table", "flyway:environment", "flyway:workingDirectory",
}

// BuiltinNames returns the names Builtins answers, as documented
// ("strata:schema", ..., "flyway:workingDirectory").
func BuiltinNames() []string { return slices.Clone(builtinNames) }

// IsBuiltin reports whether name (any case) is one of BuiltinNames.
func IsBuiltin(name string) bool {
	_, ok := Builtins{}.field(name)
	return ok
}

// field returns the value of the built-in name and whether name is a built-in.
func (b Builtins) field(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "strata:schema":
		return b.Schema, true
	case "strata:tenant":
		return b.Tenant, true
	case "strata:env", "flyway:environment":
		return b.Env, true
	case "strata:user", "flyway:user":
		return b.User, true
	case "strata:database", "flyway:database":
		return b.Database, true
	case "strata:timestamp", "flyway:timestamp":
		return b.Timestamp, true
	case "strata:filename", "flyway:filename":
		return b.Filename, true
	case "strata:table", "flyway:table":
		return b.Table, true
	case "flyway:defaultschema":
		return b.DefaultSchema, true
	case "flyway:workingdirectory":
		return b.WorkingDirectory, true
	}
	return "", false
}

// Lookup returns the value of a strata:* or flyway:* built-in, in any case.
// A built-in whose field is empty is undefined.
func (b Builtins) Lookup(name string) (string, bool) {
	v, ok := b.field(name)
	if !ok || v == "" {
		return "", false
	}
	return v, true
}

// Chain returns a Lookup that asks each of ls in order; the first hit wins.
// Nil lookups are skipped.
func Chain(ls ...Lookup) Lookup {
	ls = slices.DeleteFunc(slices.Clone(ls), func(l Lookup) bool { return l == nil })
	return func(name string) (string, bool) {
		for _, l := range ls {
			if v, ok := l(name); ok {
				return v, true
			}
		}
		return "", false
	}
}
