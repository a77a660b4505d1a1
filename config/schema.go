package config

import "github.com/hashicorp/hcl/v2"

// sharedAttrs are the attributes allowed both at the top level and in env
// blocks, in the order used for "did you mean" suggestions.
var sharedAttrs = []string{
	"locations",
	"out_of_order",
	"hotfixes",
	"schemas",
	"validate_naming",
	"lock_timeout",
	"statement_timeout",
	"pooler",
	"lint",
	"lint_disable",
	"ignore_migration_patterns",
	"target",
	"installed_by",
	"baseline_on_migrate",
	"baseline_version",
	"baseline_description",
	"sql_migration_prefix",
	"undo_sql_migration_prefix",
	"repeatable_sql_migration_prefix",
	"baseline_migration_prefix",
	"sql_migration_separator",
	"sql_migration_suffixes",
	"connect_retries",
	"connect_retries_interval",
	"connect_timeout",
	"network_timeout",
	"require_ack",
	"confirm",
}

// envOnlyAttrs may appear only inside env blocks.
var envOnlyAttrs = []string{"url", "overrides", "clean_disabled", "instances", "max_connections"}

func attrSchemas(names ...[]string) []hcl.AttributeSchema {
	var out []hcl.AttributeSchema
	for _, list := range names {
		for _, n := range list {
			out = append(out, hcl.AttributeSchema{Name: n})
		}
	}
	return out
}

// topSchema includes the env-only names so that their misuse gets a precise
// diagnostic instead of "Unsupported argument".
var topSchema = &hcl.BodySchema{
	Attributes: attrSchemas(sharedAttrs, envOnlyAttrs),
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "env", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "placeholders"},
		{Type: "history"},
		{Type: "lock"},
		{Type: "tenants"},
		{Type: "rollout"},
		{Type: "registry"},
	},
}

var envSchema = &hcl.BodySchema{
	Attributes: attrSchemas(envOnlyAttrs[:1], sharedAttrs, envOnlyAttrs[1:]),
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "placeholders"},
		{Type: "history"},
		{Type: "lock"},
		{Type: "tenants"},
		{Type: "rollout"},
		{Type: "registry"},
	},
}

// rolloutSchema is the rollout block: waves, in order.
var rolloutSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "wave", LabelNames: []string{"name"}}},
}

// waveSchema is one wave: at most one selector (tenants, pattern, query,
// count, percent; none takes the rest), then how it runs.
var waveSchema = &hcl.BodySchema{
	Attributes: attrSchemas([]string{"tenants", "pattern", "query", "count", "percent", "parallel", "max_failures", "pause"}),
}

var variableSchema = &hcl.BodySchema{
	Attributes: attrSchemas([]string{"type", "default", "description", "sensitive"}),
}

var nestedSchemas = map[string]*hcl.BodySchema{
	"placeholders": {Attributes: attrSchemas([]string{"prefix", "suffix", "enabled", "values"})},
	"history":      {Attributes: attrSchemas([]string{"schema", "table"})},
	"lock":         {Attributes: attrSchemas([]string{"timeout"})},
	"tenants":      {Attributes: attrSchemas([]string{"schemas", "query", "pattern", "parallel", "on_error", "retries"})},
	"registry":     {Attributes: attrSchemas([]string{"url", "query"})},
}

// Defaults of settings that are not set anywhere.
const (
	DefaultHistoryTable      = "strata_schema_history"
	DefaultPlaceholderPrefix = "${"
	DefaultPlaceholderSuffix = "}"
	DefaultLockTimeout       = "30s"
	DefaultTenantsParallel   = 4
	DefaultTenantsOnError    = "continue"
	DefaultTenantsRetries    = 2
	DefaultTarget            = "latest"
	DefaultBaselineVersion   = "1" // Flyway's baselineVersion
)

// DefaultIgnoreMigrationPatterns is the value of ignore_migration_patterns
// when it is not set (Flyway's default).
var DefaultIgnoreMigrationPatterns = []string{"*:future"}
