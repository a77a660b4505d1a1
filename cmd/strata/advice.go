package main

import "github.com/stratadb/strata/engine"

// cliAdvice is each engine.Advice in the CLI's words: its commands, flags
// and strata.hcl attributes, with the same %s and %d slots in the same
// order as the engine's phrase.
var cliAdvice = map[engine.Advice]string{
	engine.AdviceOutOfOrder:         "to apply it anyway, add the version to hotfixes = [...] in the env, or set out_of_order = true",
	engine.AdviceHotfixOrIgnore:     "it is below the highest applied version: add it to hotfixes, set out_of_order = true",
	engine.AdviceDefinePlaceholder:  "define them in placeholders { values = { ... } } or pass --placeholder name=value",
	engine.AdviceAdoptFlyway:        "adopt it with strata baseline --from-flyway",
	engine.AdviceAdoptFlywayTable:   "adopt Flyway's with strata baseline --from-flyway --table %s",
	engine.AdviceBaseline:           "baseline it there (strata baseline --version V, or baseline_on_migrate = true with baseline_version = \"V\" in the env)",
	engine.AdviceFlywayTableName:    "(name the table with --table if Flyway's table setting differs)",
	engine.AdviceIgnorePattern:      "ignore it with ignore_migration_patterns = [\"%s\"]",
	engine.AdviceTargetVersion:      "check --target (write %s? to go as far as that version without requiring it)",
	engine.AdviceRemoveTenant:       "remove the tenant from the env's tenants",
	engine.AdviceCleanTenant:        "delete its history (strata clean --tenant %s)",
	engine.AdviceTenantFilter:       "--tenant %s: not among the env's %d tenants",
	engine.AdviceNoTenant:           "the env's tenant source names no tenant",
	engine.AdviceCleanTenantUnknown: "clean: %s is not one of the env's tenants",
	engine.AdviceUndoTo:             "undo --to %s:",
}

// cliWords is an engine message with its advice in the CLI's words.
func cliWords(msg string) string {
	return engine.RewriteAdvice(msg, func(a engine.Advice) (string, bool) {
		w, ok := cliAdvice[a]
		return w, ok
	})
}
