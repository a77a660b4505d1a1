package placeholders

import (
	"fmt"
	"strings"
)

// Undefined is a placeholder without a value.
type Undefined struct {
	Name   string // as written in the source
	Offset int    // byte offset of the prefix in the source
	Line   int    // 1-based
	Column int    // 1-based, in characters
}

// UndefinedError reports every undefined placeholder of a text, in source
// order.
type UndefinedError struct {
	Items  []Undefined
	Syntax Syntax // the syntax used to render names; zero means ${name}
}

// maxListed is how many items Error spells out; Items always holds all.
const maxListed = 20

// Error returns, for one item, "undefined placeholder ${app_role} at line 3,
// column 12", and for several "3 undefined placeholders: ${a} at line 1,
// column 1; ${b} at ...". Past 20 items the text ends with "; and N more".
func (e *UndefinedError) Error() string {
	switch len(e.Items) {
	case 0:
		return "undefined placeholders"
	case 1:
		return "undefined placeholder " + e.item(0)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d undefined placeholders: ", len(e.Items))
	for i := range e.Items {
		if i == maxListed {
			fmt.Fprintf(&sb, "; and %d more", len(e.Items)-maxListed)
			break
		}
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(e.item(i))
	}
	return sb.String()
}

func (e *UndefinedError) item(i int) string {
	u := e.Items[i]
	return fmt.Sprintf("%s at line %d, column %d", e.Syntax.Format(u.Name), u.Line, u.Column)
}

// Hint says how to fix the error, e.g. "define it in placeholders { values =
// { app_role = "..." } } or pass --placeholder app_role=value". Built-ins
// without a value and misspelt built-ins get their own advice.
func (e *UndefinedError) Hint() string {
	var user, unset, unknown []string
	seen := map[string]bool{}
	for _, u := range e.Items {
		lower := strings.ToLower(u.Name)
		if seen[lower] {
			continue
		}
		seen[lower] = true
		switch {
		case IsBuiltin(lower):
			unset = append(unset, e.Syntax.Format(u.Name))
		case strings.HasPrefix(lower, "strata:") || strings.HasPrefix(lower, "flyway:"):
			unknown = append(unknown, e.Syntax.Format(u.Name))
		default:
			user = append(user, u.Name)
		}
	}
	var hints []string
	switch len(user) {
	case 0:
	case 1:
		n := user[0]
		hints = append(hints, fmt.Sprintf("define it in placeholders { values = { %s = \"...\" } } or pass --placeholder %s=value", n, n))
	default:
		hints = append(hints, "define them in placeholders { values = {...} } or pass --placeholder name=value")
	}
	switch len(unset) {
	case 0:
	case 1:
		hints = append(hints, fmt.Sprintf("built-in %s has no value for this target or command", unset[0]))
	default:
		hints = append(hints, fmt.Sprintf("built-ins %s have no value for this target or command", strings.Join(unset, ", ")))
	}
	if len(unknown) > 0 {
		hints = append(hints, fmt.Sprintf("%s: no such built-in; built-ins are %s", strings.Join(unknown, ", "), strings.Join(builtinNames, ", ")))
	}
	return strings.Join(hints, "; ")
}
