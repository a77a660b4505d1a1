package engine

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Advice is a way out that an engine message offers: "list the version as
// a hotfix", "baseline it". Messages name it in the library's terms (the
// options and methods of this package); a front end with its own words for
// the same step, such as the CLI with its commands, flags and strata.hcl
// attributes, passes the message through RewriteAdvice.
type Advice int

// The ways out that engine messages offer. A phrase with %s or %d slots
// carries values (a table name, a tenant) that the rewritten phrase keeps.
const (
	AdviceOutOfOrder         Advice = iota + 1 // a pending version below the highest applied one
	AdviceHotfixOrIgnore                       // the same, in a validate finding
	AdviceDefinePlaceholder                    // an undefined placeholder
	AdviceAdoptFlyway                          // a Flyway history table where Strata has none
	AdviceAdoptFlywayTable                     // the history table is Flyway's: adopt it by name
	AdviceBaseline                             // a schema that holds objects but has no history
	AdviceFlywayTableName                      // adopting found no Flyway table of that name
	AdviceIgnorePattern                        // a finding that an ignore pattern silences
	AdviceTargetVersion                        // no migration has the target version
	AdviceRemoveTenant                         // a tenant whose schema was dropped
	AdviceCleanTenant                          // the same: start the tenant afresh
	AdviceTenantFilter                         // a tenant filter names unknown tenants
	AdviceNoTenant                             // the tenant source names none
	AdviceCleanTenantUnknown                   // clean names a tenant that is not one
	AdviceUndoTo                               // undo's version does not parse
)

// adviceText is each Advice in the library's words.
var adviceText = map[Advice]string{
	AdviceOutOfOrder:         "to apply it anyway, list the version as a hotfix or allow out-of-order migrations (WithOutOfOrder)",
	AdviceHotfixOrIgnore:     "it is below the highest applied version: list it as a hotfix or allow out-of-order migrations (WithOutOfOrder)",
	AdviceDefinePlaceholder:  "define them with WithPlaceholders",
	AdviceAdoptFlyway:        "adopt it with AdoptFlyway",
	AdviceAdoptFlywayTable:   "adopt Flyway's with AdoptFlyway(ctx, %s)",
	AdviceBaseline:           "baseline it there (Baseline at version V, or WithBaselineOnMigrate(\"V\", ...))",
	AdviceFlywayTableName:    "(give AdoptFlyway the table's name if Flyway's table setting differs)",
	AdviceIgnorePattern:      "ignore it with WithIgnorePatterns(\"%s\")",
	AdviceTargetVersion:      "check the target version of WithTarget (write %s? to go as far as that version without requiring it)",
	AdviceRemoveTenant:       "remove the tenant from the tenant source",
	AdviceCleanTenant:        "delete its history (Clean of tenant %s)",
	AdviceTenantFilter:       "tenant filter: %s not among the %d tenants",
	AdviceNoTenant:           "the tenant source names no tenant",
	AdviceCleanTenantUnknown: "clean: %s is not one of the tenants",
	AdviceUndoTo:             "undo to %s:",
}

// String is the advice in the library's words, with its slots unfilled.
func (a Advice) String() string { return adviceText[a] }

// advise fills the slots of a's phrase.
func advise(a Advice, args ...any) string {
	if len(args) == 0 {
		return adviceText[a]
	}
	return fmt.Sprintf(adviceText[a], args...)
}

var (
	advicePatternsOnce sync.Once
	advicePatterns     map[Advice]*regexp.Regexp
)

// RewriteAdvice replaces, in msg, every advice phrase for which words has
// other words: words(a) returns a phrase with the same slots in the same
// order (%s, %d), and the values found in msg fill them.
func RewriteAdvice(msg string, words func(Advice) (string, bool)) string {
	advicePatternsOnce.Do(func() {
		advicePatterns = map[Advice]*regexp.Regexp{}
		for a, text := range adviceText {
			advicePatterns[a] = regexp.MustCompile(slotPattern(text))
		}
	})
	for a := Advice(1); adviceText[a] != ""; a++ {
		cli, ok := words(a)
		if !ok || !strings.Contains(msg, literalHead(adviceText[a])) {
			continue
		}
		msg = advicePatterns[a].ReplaceAllStringFunc(msg, func(found string) string {
			values := advicePatterns[a].FindStringSubmatch(found)[1:]
			return fillSlots(cli, values)
		})
	}
	return msg
}

// slotPattern is a regular expression matching text with its %s and %d
// slots as groups.
func slotPattern(text string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '%')
		if i < 0 || i+1 >= len(text) {
			b.WriteString(regexp.QuoteMeta(text))
			return b.String()
		}
		b.WriteString(regexp.QuoteMeta(text[:i]))
		switch text[i+1] {
		case 's':
			b.WriteString(`(.+?)`)
		case 'd':
			b.WriteString(`([0-9]+)`)
		default:
			b.WriteString(regexp.QuoteMeta(text[i : i+2]))
		}
		text = text[i+2:]
	}
}

// literalHead is text up to its first slot: a cheap test that a message
// may hold the phrase.
func literalHead(text string) string {
	if i := strings.IndexByte(text, '%'); i >= 0 {
		return text[:i]
	}
	return text
}

// fillSlots puts values into the %s and %d slots of text, in order.
func fillSlots(text string, values []string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '%')
		if i < 0 || i+1 >= len(text) || len(values) == 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		if c := text[i+1]; c == 's' || c == 'd' {
			b.WriteString(values[0])
			values = values[1:]
		} else {
			b.WriteString(text[i : i+2])
		}
		text = text[i+2:]
	}
}
